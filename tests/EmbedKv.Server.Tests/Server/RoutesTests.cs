using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>GET, HEAD, PUT, POST and DELETE on /{key}: every status, every header rule, keys and values byte-exact.</summary>
    public sealed class RoutesTests
    {
        [Fact]
        public async Task EveryRouteAndStatusThroughHttpClient()
        {
            using TestServer server = TestServer.Start();
            using HttpClient client = server.Client();

            await Expect(client, HttpMethod.Get, "k", null, HttpStatusCode.NotFound);
            await Expect(client, HttpMethod.Head, "k", null, HttpStatusCode.NotFound);
            await Expect(client, HttpMethod.Delete, "k", null, HttpStatusCode.NotFound);
            await Expect(client, HttpMethod.Put, "k", "one", HttpStatusCode.Created);
            await Expect(client, HttpMethod.Put, "k", "two", HttpStatusCode.NoContent);
            await Expect(client, HttpMethod.Post, "p", "three", HttpStatusCode.Created);
            await Expect(client, HttpMethod.Post, "p", "four!", HttpStatusCode.NoContent);

            using (HttpResponseMessage got = await Expect(client, HttpMethod.Get, "k", null, HttpStatusCode.OK))
            {
                Assert.Equal("application/octet-stream", got.Content.Headers.ContentType!.MediaType);
                Assert.Equal(3, got.Content.Headers.ContentLength);
                Assert.Equal("two", await got.Content.ReadAsStringAsync());
            }

            using (HttpResponseMessage head = await Expect(client, HttpMethod.Head, "p", null, HttpStatusCode.OK))
            {
                Assert.Equal("application/octet-stream", head.Content.Headers.ContentType!.MediaType);
                Assert.Equal(5, head.Content.Headers.ContentLength);
                Assert.Empty(await head.Content.ReadAsByteArrayAsync());
            }

            await Expect(client, HttpMethod.Delete, "k", null, HttpStatusCode.NoContent);
            await Expect(client, HttpMethod.Delete, "k", null, HttpStatusCode.NotFound);
            await Expect(client, HttpMethod.Get, "k", null, HttpStatusCode.NotFound);
            await Expect(client, HttpMethod.Put, "k", "back", HttpStatusCode.Created);
            Assert.Equal("back", await client.GetStringAsync("k"));

            // An empty value is a value: 201, then 200 with Content-Length: 0.
            await Expect(client, HttpMethod.Put, "empty", string.Empty, HttpStatusCode.Created);
            using (HttpResponseMessage empty = await Expect(client, HttpMethod.Get, "empty", null, HttpStatusCode.OK))
            {
                Assert.Equal(0, empty.Content.Headers.ContentLength);
            }

            Assert.Equal(Encoding.UTF8.GetBytes("back"), server.Server.Store.Get(Requests.Utf8("k")));
            Assert.Equal(Encoding.UTF8.GetBytes("four!"), server.Server.Store.Get(Requests.Utf8("p")));
        }

        [Fact]
        public void EveryRouteOverOneRawKeepAliveConnection()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();

            RawResponse missing = Exchange(c, Requests.Get("/k"), 404);
            Assert.Equal("text/plain; charset=utf-8", missing.Header("Content-Type"));
            Assert.Equal("not found\n", missing.BodyText);

            // HEAD of a missing key: the same head as GET, and no body; the next response must start right after it.
            RawResponse headMissing = Exchange(c, Requests.Head("/k"), 404, toHead: true);
            Assert.Equal(missing.Header("Content-Length"), headMissing.Header("Content-Length"));
            Exchange(c, Requests.Get("/k"), 404);

            RawResponse created = Exchange(c, Requests.Put("/k", "value-1"), 201);
            Assert.Equal("0", created.Header("Content-Length"));
            RawResponse replaced = Exchange(c, Requests.Put("/k", "value-22"), 204);
            Assert.Null(replaced.Header("Content-Length"));
            Exchange(c, Requests.Put("/q", "posted", method: "POST"), 201);
            Exchange(c, Requests.Put("/q", "posted again", method: "POST"), 204);

            RawResponse got = Exchange(c, Requests.Get("/k"), 200);
            Assert.Equal("application/octet-stream", got.Header("Content-Type"));
            Assert.Equal("8", got.Header("Content-Length"));
            Assert.Equal("value-22", got.BodyText);

            RawResponse head = Exchange(c, Requests.Head("/q"), 200, toHead: true);
            Assert.Equal("12", head.Header("Content-Length"));
            Assert.Equal("application/octet-stream", head.Header("Content-Type"));
            Assert.Equal("posted again", Exchange(c, Requests.Get("/q"), 200).BodyText);

            Exchange(c, Requests.Delete("/k"), 204);
            Exchange(c, Requests.Delete("/k"), 404);
            Exchange(c, Requests.Get("/k"), 404);

            // A GET or DELETE with a body: the body is read and ignored, the connection goes on.
            Exchange(c, Requests.Put("/q", "ignored", method: "GET"), 200);
            Exchange(c, Requests.Put("/q", "ignored", method: "DELETE"), 204);
            Exchange(c, Requests.Get("/q"), 404);

            // "/" is the listing (docs/api.md), so the empty key is out of HTTP's reach: GET lists, PUT is 405.
            Exchange(c, Requests.Put("/root", "root"), 201);
            Assert.Contains("\"key\":\"root\"", Exchange(c, Requests.Get("/"), 200).BodyText);
            Exchange(c, "DELETE / HTTP/1.1\r\nHost: t\r\n\r\n", 405);

            // Absolute-form targets (RFC 9112 §3.2.2) name the same keys and routes; a query is not part of the key.
            Assert.Contains("\"key\":\"root\"", Exchange(c, "GET http://t/? HTTP/1.1\r\nHost: t\r\n\r\n", 200).BodyText);
            Exchange(c, Requests.Put("/abs/key", "a"), 201);
            Assert.Equal("a", Exchange(c, "GET http://example.com/abs/key? HTTP/1.1\r\nHost: t\r\n\r\n", 200).BodyText);

            Assert.False(c.IsClosedNow(), "a keep-alive connection closed after a run of good requests");
        }

        [Fact]
        public async Task BinaryValuesKeepEveryByteValue()
        {
            using TestServer server = TestServer.Start();
            using HttpClient client = server.Client();

            // Every byte 0..255, forwards and backwards, in a small value (one write) and a large one (streamed past 16 KiB).
            byte[] small = Enumerable.Range(0, 512).Select(i => (byte)(i < 256 ? i : 511 - i)).ToArray();
            byte[] large = Enumerable.Range(0, 256 * 300).Select(i => (byte)((i * 7) + (i >> 8))).ToArray();
            Assert.Equal(256, small.Distinct().Count());
            Assert.Equal(256, large.Distinct().Count());

            foreach ((string key, byte[] value) in new[] { ("bin-small", small), ("bin-large", large) })
            {
                using (HttpResponseMessage put = await client.PutAsync(key, new ByteArrayContent(value)))
                {
                    Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                }

                Assert.Equal(value, await client.GetByteArrayAsync(key));
                Assert.Equal(value, server.Server.Store.Get(Requests.Utf8(key)));

                using RawConnection c = server.Connect();
                Exchange(c, Requests.Put("/" + key + "-raw", value), 201);
                Assert.Equal(value, Exchange(c, Requests.Get("/" + key + "-raw"), 200).Body);
            }

            // Bytes that look like HTTP framing inside a value are just bytes.
            byte[] tricky = Encoding.Latin1.GetBytes("\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n0\r\n\r\n\0");
            using RawConnection raw = server.Connect();
            Exchange(raw, Requests.Put("/tricky", tricky), 201);
            Assert.Equal(tricky, Exchange(raw, Requests.Get("/tricky"), 200).Body);
            Exchange(raw, Requests.Get("/bin-small"), 200);
        }

        [Theory]
        [InlineData("a%2Fb", "a/b")]
        [InlineData("dir/sub/key", "dir/sub/key")]
        [InlineData("with%20space", "with space")]
        [InlineData("%C3%A9t%C3%A9", "été")]
        [InlineData("a+b", "a+b")]
        [InlineData("%00%FF%0D%0A", null)]
        public async Task KeysArePercentDecodedAndReadBackBothWays(string encoded, string? decoded)
        {
            using TestServer server = TestServer.Start();
            using HttpClient client = server.Client();
            byte[] keyBytes = PercentDecoded(encoded);
            if (decoded is not null)
            {
                Assert.Equal(Encoding.UTF8.GetBytes(decoded), keyBytes);
            }

            byte[] value = Encoding.UTF8.GetBytes("value of " + encoded);

            using (HttpResponseMessage put = await client.PutAsync(new Uri(server.Server.BaseAddress, encoded), new ByteArrayContent(value)))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            Assert.Equal(value, await client.GetByteArrayAsync(new Uri(server.Server.BaseAddress, encoded)));
            Assert.Equal(value, server.Server.Store.Get(keyBytes));
            Assert.Equal(1, server.Server.Store.Count);

            // Over a raw socket the target goes out exactly as written; every encoding of the same bytes is the same key.
            using RawConnection c = server.Connect();
            Assert.Equal(value, Exchange(c, Requests.Get("/" + encoded), 200).Body);
            Assert.Equal(value, Exchange(c, Requests.Get("/" + encoded.ToLowerInvariant()), 200).Body);
            Assert.Equal(value, Exchange(c, Requests.Get("/" + FullyEncoded(keyBytes)), 200).Body);

            // Bad percent-encoding is 400, and the stream is not in doubt: the connection goes on.
            RawResponse bad = Exchange(c, Requests.Get("/" + encoded + "%G0"), 400);
            Assert.False(bad.SaysClose);
            Exchange(c, Requests.Delete("/" + encoded), 204);
            Assert.Null(server.Server.Store.Get(keyBytes));
        }

        [Fact]
        public void DotSegmentsInKeysNeverReachTheFileSystem()
        {
            // A nested data directory, so a key treated as a path would land somewhere visible inside "outer".
            using var outer = new TempDirectory();
            string data = Path.Combine(outer.Path, "a", "b", "data");
            Directory.CreateDirectory(data);
            string marker = "escape-" + Guid.NewGuid().ToString("N");
            string[] tmpBefore = Directory.GetFileSystemEntries(Path.GetTempPath());
            Assert.Equal(new[] { "a", Path.Combine("a", "b"), Path.Combine("a", "b", "data") }, Directory.GetFileSystemEntries(outer.Path, "*", SearchOption.AllDirectories).Select(p => Path.GetRelativePath(outer.Path, p)).OrderBy(p => p, StringComparer.Ordinal));
            using (KvServer server = KvServer.Start(TestServer.Options(data)))
            {
                using RawConnection c = new RawConnection(server.Port);

                // The server must not serve files: /etc/passwd is a key like any other, and absent.
                RawResponse passwd = Exchange(c, Requests.Get("/../../etc/passwd"), 404);
                Assert.Equal("not found\n", passwd.BodyText);
                Exchange(c, Requests.Get("/..%2F..%2F..%2F..%2Fetc%2Fpasswd"), 404);
                Exchange(c, Requests.Get("/%2E%2E/%2E%2E/etc/hostname"), 404);

                string[] keys = { "/..%2F..%2F" + marker, "/../../" + marker, "/..%2F..%2F..%2F..%2F..%2F..%2F..%2F..%2Ftmp%2F" + marker, "/%2E%2E%2F" + marker, "/./" + marker };
                for (int i = 0; i < keys.Length; i++)
                {
                    Exchange(c, Requests.Put(keys[i], "payload " + i), i == 1 ? 204 : 201); // keys 0 and 1 decode alike
                    Assert.Equal("payload " + i, Exchange(c, Requests.Get(keys[i]), 200).BodyText);
                }

                Assert.Equal(Requests.Utf8("payload 1"), server.Store.Get(Requests.Utf8("../../" + marker)));
                Assert.Equal(Requests.Utf8("payload 3"), server.Store.Get(Requests.Utf8("../" + marker)));
                Assert.Equal(Requests.Utf8("payload 4"), server.Store.Get(Requests.Utf8("./" + marker)));
                Assert.Equal(keys.Length - 1, server.Store.Count); // "/../../m" and "/..%2F..%2Fm" are the same key
            }

            // Only the data directory's segment files exist anywhere under "outer"; nothing new in /tmp carries the marker.
            string[] everything = Directory.GetFileSystemEntries(outer.Path, "*", SearchOption.AllDirectories)
                .Select(p => Path.GetRelativePath(outer.Path, p)).OrderBy(p => p, StringComparer.Ordinal).ToArray();
            string[] segments = everything.Where(p => p.StartsWith(Path.Combine("a", "b", "data", "seg-"), StringComparison.Ordinal) && p.EndsWith(".log", StringComparison.Ordinal)).ToArray();
            Assert.NotEmpty(segments);
            Assert.Equal(new[] { "a", Path.Combine("a", "b"), Path.Combine("a", "b", "data") }.Concat(segments).OrderBy(p => p, StringComparer.Ordinal), everything);
            string[] tmpNew = Directory.GetFileSystemEntries(Path.GetTempPath()).Except(tmpBefore).ToArray();
            Assert.DoesNotContain(tmpNew, p => p.Contains(marker, StringComparison.Ordinal));
            Assert.Empty(Directory.GetFileSystemEntries(Path.GetTempPath(), "*" + marker + "*"));
            Assert.Empty(Directory.GetFileSystemEntries("/", "*" + marker + "*"));
        }

        [Fact]
        public void EveryResponseHasADateAndContentLengthExceptNoContent()
        {
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            var responses = new List<RawResponse>
            {
                Exchange(c, Requests.Put("/d", "x"), 201),
                Exchange(c, Requests.Put("/d", "y"), 204),
                Exchange(c, Requests.Get("/d"), 200),
                Exchange(c, Requests.Head("/d"), 200, toHead: true),
                Exchange(c, Requests.Delete("/d"), 204),
                Exchange(c, Requests.Get("/d"), 404),
                Exchange(c, "OPTIONS /d HTTP/1.1\r\nHost: t\r\n\r\n", 405),
                Exchange(c, Requests.Get("/%zz"), 400),
                Exchange(c, "PUT /d HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n", 100),
                Exchange(c, "z", 201),
            };

            foreach (RawResponse response in responses)
            {
                if (response.Status == 100)
                {
                    Assert.Empty(response.Headers);
                    continue;
                }

                string? date = response.Header("Date");
                Assert.True(date is not null, response + " has no Date");
                DateTime parsed = DateTime.ParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
                Assert.InRange(parsed, DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
                bool mayHaveLength = response.Status != 204;
                Assert.True(mayHaveLength == (response.Header("Content-Length") is not null), response + ": Content-Length presence is wrong");
                Assert.Null(response.Header("Transfer-Encoding"));
            }

            Assert.Equal("GET, HEAD, PUT, POST, DELETE", responses[6].Header("Allow"));
        }

        internal static RawResponse Exchange(RawConnection c, string request, int status, bool toHead = false) => c.Exchange(request, status, toHead);

        internal static RawResponse Exchange(RawConnection c, byte[] request, int status, bool toHead = false) => c.Exchange(request, status, toHead);

        private static async Task<HttpResponseMessage> Expect(HttpClient client, HttpMethod method, string key, string? body, HttpStatusCode status)
        {
            var request = new HttpRequestMessage(method, key);
            if (body is not null)
            {
                request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            }

            HttpResponseMessage response = await client.SendAsync(request);
            Assert.True(status == response.StatusCode, method + " " + key + ": expected " + status + ", got " + response.StatusCode);
            Assert.NotNull(response.Headers.Date);
            if (status == HttpStatusCode.NoContent)
            {
                Assert.False(response.Content.Headers.Contains("Content-Length"), "204 with Content-Length");
            }
            else
            {
                Assert.NotNull(response.Content.Headers.ContentLength);
            }

            return response;
        }

        private static byte[] PercentDecoded(string encoded)
        {
            var bytes = new List<byte>();
            for (int i = 0; i < encoded.Length; i++)
            {
                if (encoded[i] == '%')
                {
                    bytes.Add(byte.Parse(encoded.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    i += 2;
                }
                else
                {
                    bytes.Add(checked((byte)encoded[i]));
                }
            }

            return bytes.ToArray();
        }

        private static string FullyEncoded(byte[] key) => string.Concat(key.Select(b => "%" + b.ToString("X2", CultureInfo.InvariantCulture)));
    }
}
