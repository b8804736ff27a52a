using System;
using System.Text;
using System.Threading;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// Request framing over a real socket (RFC 9112 §6, §7.1): where a server and a proxy in front of it
    /// could disagree about where a request ends, the server refuses, closes, and serves nothing that
    /// was pipelined behind the request, so nothing can be smuggled through.
    /// </summary>
    public sealed class FramingTests : IClassFixture<FramingTests.SharedServer>
    {
        private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

        private readonly TestServer _server;

        public FramingTests(SharedServer server) => _server = server.Server;

        [Fact]
        public void Http10WithTransferEncodingIsRefusedClosedAndNotStored()
        {
            // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing. A 1.0 proxy
            // in front would not know chunked, and would take the chunks for the start of a next request.
            using RawConnection c = _server.Connect();
            c.Send("PUT /ten-chunked HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
                + "GET /ten-chunked HTTP/1.1\r\nHost: t\r\n\r\n");
            AssertOneRefusalThenClose(c, 400, "HTTP/1.0 with Transfer-Encoding");
            Assert.Null(_server.Server.Store.Get(Requests.Utf8("ten-chunked")));
        }

        [Theory]
        [InlineData("junk", "2 erfrferferf\r\nab\r\n0\r\n\r\n")]
        [InlineData("two-sizes", "3 9\r\nabc\r\n0\r\n\r\n")]
        [InlineData("space-before-ext", "5 ;x\r\nhello\r\n0\r\n\r\n")]
        [InlineData("ctl-in-ext", "5;x=\"a\u0001\"\r\nhello\r\n0\r\n\r\n")]
        [InlineData("del-in-trailer", "5\r\nhello\r\n0\r\nX-T: a\u007fb\r\n\r\n")]
        public void MalformedChunkFramingIsRefusedClosedAndNotStored(string key, string body)
        {
            // "3 9" is a 3-byte chunk to some parsers and a 0x39-byte chunk to others: a request hidden in
            // the difference would reach the server as its own request. So no reading of it is taken.
            using RawConnection c = _server.Connect();
            c.Send("PUT /" + key + " HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body + Requests.Get("/" + key));
            AssertOneRefusalThenClose(c, 400, key);
            Assert.Null(_server.Server.Store.Get(Requests.Utf8(key)));
        }

        [Fact]
        public void InvalidHostIsRefusedBeforeTheRequestIsServed()
        {
            using (RawConnection c = _server.Connect())
            {
                RoutesTests.Exchange(c, Requests.Put("/hosted", "value"), 201, toHead: false);
            }

            foreach (string host in new[] { "x y", "user@x", "x/y", "[::1", "x:8o" })
            {
                using RawConnection c = _server.Connect();
                c.Send("GET /hosted HTTP/1.1\r\nHost: " + host + "\r\n\r\n" + Requests.Get("/hosted"));
                AssertOneRefusalThenClose(c, 400, "Host: " + host);
            }

            // Valid forms still reach the key.
            foreach (string host in new[] { "t", "t:8080", "127.0.0.1:1", "[::1]:80", string.Empty })
            {
                using RawConnection c = _server.Connect();
                Assert.Equal("value", RoutesTests.Exchange(c, "GET /hosted HTTP/1.1\r\nHost: " + host + "\r\n\r\n", 200).BodyText);
            }
        }

        [Fact]
        public void WellFormedExtensionsAndTrailersAreAcceptedHoweverTheyArrive()
        {
            string body = "5;a=b\r\nhello\r\n"
                + "1;name=\"quoted;value\" ; x = y\r\n \r\n"
                + "a;x;y=z\r\n0123456789\r\n"
                + "0;last=1\r\nX-Trailer: yes\r\nChecksum:  none \r\n\r\n";
            byte[] bytes = Encoding.ASCII.GetBytes("PUT /extended HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + body + Requests.Get("/extended"));

            // Byte by byte, so every state of the decoder sees its input end somewhere.
            using RawConnection c = _server.Connect();
            for (int at = 0; at < bytes.Length; at++)
            {
                c.Send(bytes.AsSpan(at, 1));
                if (at % 16 == 0)
                {
                    Thread.Sleep(1);
                }
            }

            Assert.True(c.ReadResponse().Status is 201 or 204);
            Assert.Equal("hello 0123456789", c.ReadResponse().BodyText);
            Assert.False(c.IsClosedNow());
        }

        private static void AssertOneRefusalThenClose(RawConnection c, int status, string what = "")
        {
            RawResponse response = c.ReadResponse();
            Assert.True(status == response.Status, what + ": expected " + status + ", got " + response.StatusLine + " (" + response.BodyText.Trim() + ")");
            Assert.True(response.SaysClose, what + ": the refusal did not say Connection: close");

            // WaitClosed fails on any byte that arrives first: the pipelined request must not be answered.
            Assert.True(c.WaitClosed(CloseWait), what + ": the connection stayed open after a framing error");
        }

        /// <summary>One server for the class; each test uses keys of its own.</summary>
        public sealed class SharedServer : IDisposable
        {
            internal TestServer Server { get; } = TestServer.Start();

            public void Dispose() => Server.Dispose();
        }
    }
}
