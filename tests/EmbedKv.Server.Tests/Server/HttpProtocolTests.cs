using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using static EmbedKv.Server.Tests.Server.RoutesTests;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>HTTP/1.1 framing and connection management (RFC 9112): persistence, close, 1.0, pipelining, chunked, 100-continue.</summary>
    public sealed class HttpProtocolTests
    {
        private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

        [Fact]
        public void Http11ConnectionsPersistByDefault()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            for (int i = 0; i < 5; i++)
            {
                RawResponse response = Exchange(c, Requests.Put("/persist", "v" + i), i == 0 ? 201 : 204);
                Assert.Null(response.Header("Connection"));
                Assert.Equal("v" + i, Exchange(c, Requests.Get("/persist"), 200).BodyText);
            }

            Assert.False(c.IsClosedNow());
            Assert.False(c.WaitClosed(TimeSpan.FromMilliseconds(300)), "closed an HTTP/1.1 connection without being asked");
        }

        [Theory]
        [InlineData("GET /there", 200)]
        [InlineData("GET /absent", 404)]
        [InlineData("HEAD /there", 200)]
        [InlineData("HEAD /absent", 404)]
        [InlineData("PUT /new", 201)]
        [InlineData("PUT /there", 204)]
        [InlineData("DELETE /there", 204)]
        [InlineData("DELETE /absent", 404)]
        [InlineData("OPTIONS /there", 405)]
        [InlineData("GET /bad%zz", 400)]
        [InlineData("GET /" + "kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk", 414)]
        public void ConnectionCloseIsAnsweredWithCloseAndAClose(string requestLine, int status)
        {
            using TestServer server = TestServer.Start(o => o.MaxKeyLength = 100);
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/there", "value"), 201);
            string[] parts = requestLine.Split(' ');
            bool put = parts[0] == "PUT";
            string head = parts[0] + " " + parts[1] + " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n" + (put ? "Content-Length: 2\r\n\r\nhi" : "\r\n");
            RawResponse response = Exchange(c, head, status, toHead: parts[0] == "HEAD");
            Assert.True(response.SaysClose, requestLine + ": " + response.StatusLine + " without Connection: close");
            Assert.True(c.WaitClosed(CloseWait), requestLine + ": the server kept the connection open after Connection: close");
        }

        [Fact]
        public void Http10WithoutKeepAliveIsClosedAfterTheResponse()
        {
            using TestServer server = TestServer.Start();
            using (RawConnection c = server.Connect())
            {
                RawResponse put = Exchange(c, "PUT /old HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", 201);
                Assert.True(put.SaysClose);
                Assert.True(c.WaitClosed(CloseWait), "an HTTP/1.0 connection without keep-alive stayed open");
            }

            using (RawConnection c = server.Connect())
            {
                RawResponse get = Exchange(c, "GET /old HTTP/1.0\r\n\r\n", 200);
                Assert.Equal("hello", get.BodyText);
                Assert.NotEqual("keep-alive", get.Header("Connection"));
                Assert.True(c.WaitClosed(CloseWait), "an HTTP/1.0 connection without keep-alive stayed open");
            }

            using (RawConnection c = server.Connect())
            {
                Exchange(c, "GET /absent HTTP/1.0\r\n\r\n", 404);
                Assert.True(c.WaitClosed(CloseWait));
            }
        }

        [Fact]
        public void Http10WithKeepAliveStaysOpen()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            RawResponse put = Exchange(c, "PUT /ten HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc", 201);
            Assert.Equal("keep-alive", put.Header("Connection"));
            RawResponse get = Exchange(c, "GET /ten HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 200);
            Assert.Equal("keep-alive", get.Header("Connection"));
            Assert.Equal("abc", get.BodyText);
            RawResponse missing = Exchange(c, "GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 404);
            Assert.Equal("keep-alive", missing.Header("Connection"));
            Assert.False(c.IsClosedNow(), "closed an HTTP/1.0 keep-alive connection");

            // The same connection, now without keep-alive: answered, then closed.
            Exchange(c, "DELETE /ten HTTP/1.0\r\n\r\n", 204);
            Assert.True(c.WaitClosed(CloseWait));
        }

        [Fact]
        public async Task HundredPipelinedRequestsInOneWriteAreAnsweredInOrder()
        {
            using TestServer server = TestServer.Start();
            var model = new Dictionary<string, byte[]>();
            var requests = new List<byte[]>();
            var expected = new List<(string What, int Status, byte[]? Body, long Length)>();
            var random = new Random(7);
            for (int i = 0; i < 100; i++)
            {
                string key = "p" + random.Next(8);
                string target = "/" + key;
                bool last = i == 99;
                string close = last ? "Connection: close\r\n" : string.Empty;
                bool exists = model.TryGetValue(key, out byte[]? current);
                switch (random.Next(5))
                {
                    case 0:
                    case 1:
                        // Mostly small values, some past the 16 KiB body area (streamed), in the middle of the pipeline.
                        byte[] value = new byte[random.Next(4) == 0 ? random.Next(16_000, 40_000) : random.Next(0, 100)];
                        random.NextBytes(value);
                        string method = random.Next(2) == 0 ? "PUT" : "POST";
                        requests.Add(Requests.Put(target, value, method, close));
                        expected.Add((method + " " + key, exists ? 204 : 201, null, -1));
                        model[key] = value;
                        break;
                    case 2:
                        requests.Add(Encoding.ASCII.GetBytes(Requests.Get(target, close)));
                        expected.Add(("GET " + key, exists ? 200 : 404, exists ? current : null, -1));
                        break;
                    case 3:
                        requests.Add(Encoding.ASCII.GetBytes(Requests.Head(target, close)));
                        expected.Add(("HEAD " + key, exists ? 200 : 404, null, exists ? current!.Length : -1));
                        break;
                    default:
                        requests.Add(Encoding.ASCII.GetBytes(Requests.Delete(target, close)));
                        expected.Add(("DELETE " + key, exists ? 204 : 404, null, -1));
                        model.Remove(key);
                        break;
                }
            }

            byte[] all = requests.SelectMany(r => r).ToArray();
            using RawConnection c = server.Connect();

            // One send call for everything; responses are read at the same time so neither side's buffers can fill up.
            Task send = Task.Run(() => c.Send(all));
            for (int i = 0; i < expected.Count; i++)
            {
                (string what, int status, byte[]? body, long length) = expected[i];
                RawResponse response = c.ReadResponse(toHead: what.StartsWith("HEAD", StringComparison.Ordinal));
                Assert.True(status == response.Status, "response " + i + " (" + what + "): expected " + status + ", got " + response.StatusLine);
                if (body is not null)
                {
                    Assert.True(body.AsSpan().SequenceEqual(response.Body), "response " + i + " (" + what + ") has the wrong body");
                }

                if (length >= 0)
                {
                    Assert.Equal(length.ToString(CultureInfo.InvariantCulture), response.Header("Content-Length"));
                }
            }

            await send;
            Assert.True(c.WaitClosed(CloseWait), "the last pipelined request said Connection: close");
            foreach ((string key, byte[] value) in model)
            {
                Assert.Equal(value, server.Server.Store.Get(Requests.Utf8(key)));
            }

            Assert.Equal(model.Count, server.Server.Store.Count);
        }

        [Fact]
        public void PipelinedGetsBehindAValueBeingSentAreNotLeftWaiting()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/small", "tiny"), 201);
            Exchange(c, Requests.Put("/other", new byte[20_000]), 201);

            // Everything arrives in one read: the first GET's value goes out by sendfile while the others wait in the input.
            for (int round = 0; round < 20; round++)
            {
                c.Send(Requests.Get("/small") + Requests.Get("/other") + Requests.Head("/small") + Requests.Get("/small") + Requests.Get("/none"));
                Assert.Equal("tiny", c.ReadResponse().BodyText);
                Assert.Equal(20_000, c.ReadResponse().Body.Length);
                Assert.Equal("4", c.ReadResponse(toHead: true).Header("Content-Length"));
                Assert.Equal("tiny", c.ReadResponse().BodyText);
                Assert.Equal(404, c.ReadResponse().Status);
            }
        }

        [Fact]
        public void SmallChunkedUploadWithExtensionsAndTrailers()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            string request = "PUT /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;a=b\r\nhello\r\n"
                + "1; name=\"quoted;value\"\r\n \r\n"
                + "a;x;y=z\r\n0123456789\r\n"
                + "0;last=1\r\nX-Trailer: yes\r\nChecksum: none\r\n\r\n";

            // Sent in small pieces, so every piece of framing is split across reads somewhere.
            byte[] bytes = Encoding.ASCII.GetBytes(request + Requests.Get("/chunked"));
            for (int at = 0; at < bytes.Length; at += 7)
            {
                c.Send(bytes.AsSpan(at, Math.Min(7, bytes.Length - at)));
                Thread.Sleep(1);
            }

            Assert.Equal(201, c.ReadResponse().Status);
            Assert.Equal("hello 0123456789", c.ReadResponse().BodyText);

            // All at once, with a pipelined request right behind the trailers: the body's end is found exactly.
            byte[] replace = Encoding.ASCII.GetBytes("POST /chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3;ext\r\nabc\r\n0\r\nT: 1\r\n\r\n" + Requests.Get("/chunked"));
            c.Send(replace);
            Assert.Equal(204, c.ReadResponse().Status);
            Assert.Equal("abc", c.ReadResponse().BodyText);

            // An empty chunked body is an empty value.
            Assert.Equal(201, Exchange(c, "PUT /nothing HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 201).Status);
            Assert.Empty(Exchange(c, Requests.Get("/nothing"), 200).Body);
            Assert.Equal(Encoding.ASCII.GetBytes("abc"), server.Server.Store.Get(Requests.Utf8("chunked")));
        }

        [Fact]
        public async Task LargeChunkedUploadStreamsIntoTheStore()
        {
            using TestServer server = TestServer.Start();
            var random = new Random(11);
            byte[] value = new byte[6 << 20];
            random.NextBytes(value);

            using (RawConnection c = server.Connect())
            {
                Task send = Task.Run(() =>
                {
                    c.Send("PUT /big-chunked HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
                    int at = 0;
                    int n = 0;
                    while (at < value.Length)
                    {
                        int size = Math.Min(value.Length - at, random.Next(1, 300_000));
                        c.Send((size.ToString("x", CultureInfo.InvariantCulture) + (n++ % 3 == 0 ? ";chunk=" + n : string.Empty) + "\r\n"));
                        c.Send(value.AsSpan(at, size));
                        c.Send("\r\n");
                        at += size;
                    }

                    c.Send("0\r\nX-Sum: whatever\r\n\r\n");
                });
                Assert.Equal(201, c.ReadResponse().Status);
                await send;
                RawResponse got = Exchange(c, Requests.Get("/big-chunked"), 200);
                Assert.Equal(SHA256.HashData(value), SHA256.HashData(got.Body));
            }

            Assert.Equal(SHA256.HashData(value), SHA256.HashData(server.Server.Store.Get(Requests.Utf8("big-chunked"))!));

            // HttpClient sends a stream of unknown length chunked, too.
            using HttpClient client = server.Client();
            using var content = new StreamContent(new NoLengthStream(value));
            using (HttpResponseMessage put = await client.PutAsync("by-httpclient", content))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                Assert.True(put.RequestMessage!.Headers.TransferEncodingChunked, "HttpClient did not use chunked coding");
            }

            Assert.Equal(SHA256.HashData(value), SHA256.HashData(await client.GetByteArrayAsync("by-httpclient")));
        }

        [Fact]
        public async Task ExpectContinueIsAnsweredBeforeTheBodyIsSent()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            byte[] body = new byte[100_000];
            new Random(3).NextBytes(body);

            // Head only: the server must answer 100 Continue without waiting for the body.
            c.Send("PUT /expect HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: " + body.Length + "\r\n\r\n");
            RawResponse interim = c.ReadResponse();
            Assert.Equal("HTTP/1.1 100 Continue", interim.StatusLine);
            Assert.Empty(interim.Headers);
            Assert.Equal(0, c.Buffered);
            c.Send(body);
            Assert.Equal(201, c.ReadResponse().Status);
            Assert.Equal(body, Exchange(c, Requests.Get("/expect"), 200).Body);

            // Chunked with Expect, on the same connection.
            c.Send("POST /expect HTTP/1.1\r\nHost: t\r\nExpect: 100-Continue\r\nTransfer-Encoding: chunked\r\n\r\n");
            Assert.Equal(100, c.ReadResponse().Status);
            c.Send("4\r\nnext\r\n0\r\n\r\n");
            Assert.Equal(204, c.ReadResponse().Status);
            Assert.Equal("next", Exchange(c, Requests.Get("/expect"), 200).BodyText);

            // HttpClient with Expect: 100-continue.
            using HttpClient client = server.Client();
            using var request = new HttpRequestMessage(HttpMethod.Put, "expect-client") { Content = new ByteArrayContent(body) };
            request.Headers.ExpectContinue = true;
            using HttpResponseMessage response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            Assert.Equal(body, server.Server.Store.Get(Requests.Utf8("expect-client")));
        }

        [Fact]
        public void ExpectWithTheBodyAlreadySentStillWorks()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();

            // The client did not wait for 100 Continue. The server may skip it (it does when the body came
            // with the head) or send it, but only before the final response.
            c.Send(Requests.Put("/eager", "now", extra: "Expect: 100-continue\r\n"));
            RawResponse first = c.ReadResponse();
            if (first.Status == 100)
            {
                first = c.ReadResponse();
            }

            Assert.Equal(201, first.Status);
            Assert.Equal("now", Exchange(c, Requests.Get("/eager"), 200).BodyText);
        }

        /// <summary>A read-only stream that hides its length, so HttpClient must send it chunked.</summary>
        private sealed class NoLengthStream : Stream
        {
            private readonly byte[] _data;
            private int _position;

            public NoLengthStream(byte[] data) => _data = data;

            public override bool CanRead => true;

            public override bool CanSeek => false;

            public override bool CanWrite => false;

            public override long Length => throw new NotSupportedException();

            public override long Position
            {
                get => throw new NotSupportedException();
                set => throw new NotSupportedException();
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                int take = Math.Min(count, _data.Length - _position);
                Buffer.BlockCopy(_data, _position, buffer, offset, take);
                _position += take;
                return take;
            }

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        }
    }
}
