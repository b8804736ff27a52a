using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using static EmbedKv.Server.Tests.Server.RoutesTests;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>Every limit at its edge: the last accepted size works, one more gets its exact status; and the connection cap.</summary>
    public sealed class LimitsTests
    {
        private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

        [Fact]
        public void RequestLineOf8KiBIsAcceptedAndOneByteMoreIs414()
        {
            using TestServer server = TestServer.Start();
            using (RawConnection c = server.Connect())
            {
                // The query pads the line without touching the key: empty parameters ("&&…") name nothing.
                Exchange(c, RequestLineOf(8192) + "\r\nHost: t\r\n\r\n", 404);
            }

            using (RawConnection c = server.Connect())
            {
                RawResponse response = Exchange(c, RequestLineOf(8193) + "\r\nHost: t\r\n\r\n", 414);
                Assert.True(response.SaysClose);
                Assert.True(c.WaitClosed(CloseWait));
            }

            using (RawConnection c = server.Connect())
            {
                // A line that never ends is refused once it passes the limit, without waiting for its end.
                c.Send(RequestLineOf(9000));
                Assert.Equal(414, c.ReadResponse().Status);
                Assert.True(c.WaitClosed(CloseWait));
            }
        }

        [Fact]
        public void HeaderSectionOf16KiBIsAcceptedAndOneByteMoreIs431()
        {
            using TestServer server = TestServer.Start();
            using (RawConnection c = server.Connect())
            {
                Exchange(c, HeadOf(16 * 1024), 404);
                Exchange(c, HeadOf(16 * 1024), 404); // and the connection goes on
            }

            using (RawConnection c = server.Connect())
            {
                RawResponse response = Exchange(c, HeadOf((16 * 1024) + 1), 431);
                Assert.True(response.SaysClose);
                Assert.True(c.WaitClosed(CloseWait));
            }

            using (RawConnection c = server.Connect())
            {
                // A header section that never ends is refused once it passes the limit.
                c.Send(HeadOf(20_000).Substring(0, 18_000));
                Assert.Equal(431, c.ReadResponse().Status);
                Assert.True(c.WaitClosed(CloseWait));
            }
        }

        [Fact]
        public void HundredHeaderFieldsAreAcceptedAndOneMoreIs431()
        {
            using TestServer server = TestServer.Start();
            using (RawConnection c = server.Connect())
            {
                Exchange(c, "GET /k HTTP/1.1\r\nHost: t\r\n" + Fields(99) + "\r\n", 404);
            }

            using (RawConnection c = server.Connect())
            {
                RawResponse response = Exchange(c, "GET /k HTTP/1.1\r\nHost: t\r\n" + Fields(100) + "\r\n", 431);
                Assert.Contains("too many", response.BodyText, StringComparison.Ordinal);
                Assert.True(c.WaitClosed(CloseWait));
            }
        }

        [Fact]
        public void KeyOf1024BytesIsStoredAndOneByteMoreIs414()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            string longest = new string('k', 1024);
            Exchange(c, Requests.Put("/" + longest, "v"), 201);
            Assert.Equal("v", Exchange(c, Requests.Get("/" + longest), 200).BodyText);
            Assert.Equal(Requests.Utf8("v"), server.Server.Store.Get(Requests.Utf8(longest)));

            // Measured after decoding: 1024 "%41" is a 1024-byte key.
            Exchange(c, Requests.Put("/" + string.Concat(Enumerable.Repeat("%41", 1024)), "a"), 201);
            Assert.Equal(Requests.Utf8("a"), server.Server.Store.Get(Requests.Utf8(new string('A', 1024))));

            // One more byte: 414, and without a body the connection goes on.
            RawResponse tooLong = Exchange(c, Requests.Get("/" + longest + "k"), 414);
            Assert.False(tooLong.SaysClose);
            Exchange(c, Requests.Delete("/" + string.Concat(Enumerable.Repeat("%41", 1025))), 414);

            // With a body it is refused before the body is read, and closed.
            c.Send("PUT /" + longest + "k HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
            RawResponse put = c.ReadResponse();
            Assert.Equal(414, put.Status);
            Assert.True(put.SaysClose);
            Assert.True(c.WaitClosed(CloseWait));
            Assert.Equal(2, server.Server.Store.Count);
        }

        [Fact]
        public void ValueAtTheLimitIsStoredAndOneByteMoreIs413BeforeTheBody()
        {
            const int Limit = 1 << 20;
            using TestServer server = TestServer.Start(o => o.MaxValueLength = Limit);
            byte[] value = new byte[Limit];
            new Random(5).NextBytes(value);
            using (RawConnection c = server.Connect())
            {
                Exchange(c, Requests.Put("/max", value), 201);
                Assert.Equal(value, server.Server.Store.Get(Requests.Utf8("max")));

                // Content-Length one over: refused from the head alone, with 100-continue or without.
                c.Send("PUT /over HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: " + (Limit + 1) + "\r\n\r\n");
                RawResponse response = c.ReadResponse();
                Assert.Equal(413, response.Status);
                Assert.True(response.SaysClose);
                Assert.True(c.WaitClosed(CloseWait));
            }

            using (RawConnection c = server.Connect())
            {
                // Chunked: refused as soon as the announced sizes pass the limit, before that chunk's data.
                c.Send("PUT /over HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
                c.Send((Limit / 2).ToString("x", CultureInfo.InvariantCulture) + "\r\n");
                c.Send(value.AsSpan(0, Limit / 2));
                c.Send("\r\n" + ((Limit / 2) + 1).ToString("x", CultureInfo.InvariantCulture) + "\r\n");
                RawResponse response = c.ReadResponse();
                Assert.Equal(413, response.Status);
                Assert.True(c.WaitClosed(CloseWait));
            }

            using (RawConnection c = server.Connect())
            {
                // Chunked, at the limit exactly: stored.
                c.Send("PUT /chunked-max HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
                c.Send((Limit / 2).ToString("x", CultureInfo.InvariantCulture) + "\r\n");
                c.Send(value.AsSpan(0, Limit / 2));
                c.Send("\r\n" + (Limit / 2).ToString("x", CultureInfo.InvariantCulture) + "\r\n");
                c.Send(value.AsSpan(Limit / 2));
                c.Send("\r\n0\r\n\r\n");
                Assert.Equal(201, c.ReadResponse().Status);
            }

            Assert.Null(server.Server.Store.Get(Requests.Utf8("over")));
            Assert.Equal(value, server.Server.Store.Get(Requests.Utf8("chunked-max")));
        }

        [Fact]
        public void ALingeringConnectionClosesAsSoonAsTheClientEndsItsBody()
        {
            // The rest of a refused body and the client's FIN arrive together: one epoll event, one short
            // recv of data with the end of stream behind it. The server must still see the FIN then, not
            // hold the connection until the 5 s lingering deadline.
            using TestServer server = TestServer.Start(o => o.MaxValueLength = 1024);
            for (int i = 0; i < 20; i++)
            {
                using RawConnection c = server.Connect();
                c.Send("PUT /big HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n");
                Assert.Equal(413, c.ReadResponse().Status);
                c.Send(new byte[3000]);
                c.Socket.Shutdown(System.Net.Sockets.SocketShutdown.Send);
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (server.Server.OpenConnections > 0 && clock.Elapsed < TimeSpan.FromSeconds(4))
                {
                    System.Threading.Thread.Sleep(5);
                }

                Assert.True(server.Server.OpenConnections == 0, "round " + i + ": the connection was still open " + clock.ElapsedMilliseconds + " ms after the client's FIN");
            }
        }

        [Fact]
        public async Task AClientStillSendingATooLargeBodyReadsThe413()
        {
            // HttpClient without Expect: 100-continue sends the whole body at once; the refusal comes while
            // it is still writing. The server answers, half-closes, and reads and drops the rest until the
            // client closes, so the client reads the 413 instead of a connection reset.
            using TestServer server = TestServer.Start(o => o.MaxValueLength = 1 << 20);
            using HttpClient client = server.Client();
            byte[] tooLarge = new byte[8 << 20];
            for (int i = 0; i < 5; i++)
            {
                using (HttpResponseMessage response = await client.PutAsync("big", new ByteArrayContent(tooLarge)))
                {
                    Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
                }

                // Chunked, refused once the chunk sizes pass the limit.
                using var chunked = new HttpRequestMessage(HttpMethod.Put, "big") { Content = new StreamContent(new MemoryStream(tooLarge)) };
                chunked.Headers.TransferEncodingChunked = true;
                using (HttpResponseMessage response = await client.SendAsync(chunked))
                {
                    Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
                }
            }

            // The client goes on (on a new connection), and nothing of the refused bodies was stored.
            using (HttpResponseMessage small = await client.PutAsync("small", new ByteArrayContent(new byte[10])))
            {
                Assert.Equal(HttpStatusCode.Created, small.StatusCode);
            }

            Assert.False(server.Server.Store.Contains(Requests.Utf8("big")));
            Assert.Empty(Directory.GetFiles(server.DataDirectory, "*.partial"));

            // Over a raw socket: the answer, then end of stream while we may still send; the server lets go
            // of the connection once we close.
            using (RawConnection c = server.Connect())
            {
                c.Send("PUT /big HTTP/1.1\r\nHost: t\r\nContent-Length: " + tooLarge.Length + "\r\n\r\n");
                Assert.Equal(413, c.ReadResponse().Status);
                c.Send(tooLarge.AsSpan(0, 1 << 20)); // still accepted (and dropped)
                Assert.True(c.WaitClosed(CloseWait));
            }

            var clock = Stopwatch.StartNew();
            while (server.Server.OpenConnections > 1 && clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                await Task.Delay(10);
            }

            Assert.True(server.Server.OpenConnections <= 1, "lingering connections were not let go: " + server.Server.OpenConnections);
        }

        [Theory]
        [InlineData("TRACE /k HTTP/1.1\r\nHost: t\r\n\r\n", 405, false)]
        [InlineData("PATCH /k HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nab", 405, true)]
        [InlineData("POST /k HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: deflate\r\n\r\n", 501, true)]
        [InlineData("GET /k HTTP/1.2\r\nHost: t\r\n\r\n", 505, true)]
        [InlineData("GET /k HTTP/3.0\r\nHost: t\r\n\r\n", 505, true)]
        [InlineData("PUT /k HTTP/1.0\r\n\r\n", 411, true)]
        [InlineData("POST /k HTTP/1.1\r\nHost: t\r\n\r\n", 411, true)]
        [InlineData("GET /k HTTP/1.1\r\nHost: t\r\nExpect: the-unexpected\r\n\r\n", 417, false)]
        [InlineData("PUT /k HTTP/1.1\r\nHost: t\r\nExpect: 100-continue, x\r\nContent-Length: 1\r\n\r\n", 417, true)]
        public void RefusalsHaveTheirExactStatus(string request, int status, bool closes)
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            RawResponse response = Exchange(c, request, status);
            if (status == 405)
            {
                Assert.Equal("GET, HEAD, PUT, POST, DELETE", response.Header("Allow"));
            }

            Assert.Equal(closes, response.SaysClose);
            if (closes)
            {
                Assert.True(c.WaitClosed(CloseWait));
            }
            else
            {
                Exchange(c, Requests.Get("/k"), 404);
            }

            Assert.Equal(0, server.Server.Store.Count);
        }

        [Fact]
        public async Task PastTheConnectionCapTheNextClientGets503AndAClose()
        {
            using TestServer server = TestServer.Start(o => o.Limits.MaxConnections = 4);
            var open = new List<RawConnection>();
            try
            {
                for (int i = 0; i < 4; i++)
                {
                    var c = server.Connect();
                    open.Add(c);
                    Exchange(c, Requests.Get("/k"), 404); // answered, so accepted and counted
                }

                Assert.Equal(4, server.Server.OpenConnections);
                using (RawConnection fifth = server.Connect())
                {
                    // Refused at accept, before it sends anything.
                    RawResponse busy = fifth.ReadResponse();
                    Assert.Equal("HTTP/1.1 503 Service Unavailable", busy.StatusLine);
                    Assert.True(busy.SaysClose);
                    Assert.NotNull(busy.Header("Date"));
                    Assert.Equal("1", busy.Header("Retry-After"));
                    Assert.True(fifth.WaitClosed(CloseWait));
                }

                // A client that sends its request at once (before the server accepts) reads the 503 too.
                for (int i = 0; i < 20; i++)
                {
                    using RawConnection eager = server.Connect();
                    eager.Send(Requests.Put("/eager", new byte[4000]));
                    RawResponse busy = eager.ReadResponse();
                    Assert.Equal(503, busy.Status);
                    Assert.True(eager.WaitClosed(CloseWait));
                }

                using (HttpClient client = server.Client())
                {
                    for (int i = 0; i < 20; i++)
                    {
                        using HttpResponseMessage busy = await client.GetAsync("k");
                        Assert.Equal(HttpStatusCode.ServiceUnavailable, busy.StatusCode);
                    }
                }

                // The four still work.
                foreach (RawConnection c in open)
                {
                    Exchange(c, Requests.Get("/k"), 404);
                }

                // One leaves; once the server has noticed, a new client gets in.
                open[0].Dispose();
                open.RemoveAt(0);
                var clock = Stopwatch.StartNew();
                while (server.Server.OpenConnections > 3 && clock.Elapsed < TimeSpan.FromSeconds(5))
                {
                    await Task.Delay(10);
                }

                Assert.Equal(3, server.Server.OpenConnections);
                using RawConnection again = server.Connect();
                Exchange(again, Requests.Put("/k", "in"), 201);
            }
            finally
            {
                foreach (RawConnection c in open)
                {
                    c.Dispose();
                }
            }
        }

        /// <summary>"GET /k?aaaa HTTP/1.1" of exactly <paramref name="length"/> bytes, CRLF not included.</summary>
        private static string RequestLineOf(int length)
        {
            const string FixedPart = "GET /k? HTTP/1.1";
            string line = "GET /k?" + new string('&', length - FixedPart.Length) + " HTTP/1.1";
            Assert.Equal(length, line.Length);
            return line;
        }

        /// <summary>A GET head of exactly <paramref name="length"/> bytes, request line and final CRLF included.</summary>
        private static string HeadOf(int length)
        {
            string start = "GET /k HTTP/1.1\r\nHost: t\r\nX-Pad: ";
            string head = start + new string('p', length - start.Length - 4) + "\r\n\r\n";
            Assert.Equal(length, Encoding.ASCII.GetByteCount(head));
            return head;
        }

        private static string Fields(int count) => string.Concat(Enumerable.Range(0, count).Select(i => "X-F" + i + ": " + i + "\r\n"));
    }
}
