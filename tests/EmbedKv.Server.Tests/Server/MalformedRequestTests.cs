using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using EmbedKv.Server.Tests.Http;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// The malformed-request corpus (<see cref="MalformedRequests"/>) sent to a live server, byte for byte,
    /// each on a fresh connection and again behind a good request: the exact status, and a closed
    /// connection wherever the stream is in doubt.
    /// </summary>
    public sealed class MalformedRequestTests : IClassFixture<MalformedRequestTests.SharedServer>
    {
        /// <summary>
        /// The cases after which the server still knows where the next request starts (a whole head, no
        /// body, a refusal that is about the request and not its framing): these keep the connection.
        /// </summary>
        private static readonly HashSet<string> KeepTheConnection = new HashSet<string>(StringComparer.Ordinal)
        {
            "missing Host in HTTP/1.1",
            "bad percent-encoding",
            "truncated percent-encoding",
            "key over 1024 bytes",
            "key over 1024 bytes once decoded",
            "OPTIONS",
            "lower-case get",
            "bad percent-encoding in the query",
            "truncated percent-encoding in the query",
            "If-Match tag without quotes",
            "If-Match tag with an unclosed quote",
            "If-Match with a lower-case weak prefix",
            "If-Match with a space inside a tag",
            "If-Match with star and a tag",
            "If-Match with star on one line and a tag on another",
            "If-None-Match with tags and no comma",
            "If-None-Match with star twice",
            "If-None-Match bad on its second line",
            "If-None-Match with a bare weak prefix",
        };

        private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

        private readonly SharedServer _server;

        public MalformedRequestTests(SharedServer server) => _server = server;

        [Theory]
        [MemberData(nameof(MalformedRequests.Names), MemberType = typeof(MalformedRequests))]
        public void MalformedRequestGetsItsStatusFromALiveServer(string name)
        {
            (_, string request, int status) = MalformedRequests.Get(name);
            byte[] bytes = MalformedRequests.Bytes(request);
            Assert.Contains(status, new[] { 400, 405, 411, 413, 414, 417, 431, 501, 505 });

            // Alone on a fresh connection.
            using (RawConnection c = _server.Server.Connect())
            {
                c.Send(bytes);
                Check(c, name, status);
            }

            // Behind a good request in the same write: the good one is answered first, then the refusal.
            using (RawConnection c = _server.Server.Connect())
            {
                c.Send(Encoding.ASCII.GetBytes(Requests.Get("/good")).Concat(bytes).ToArray());
                Assert.Equal("good value", c.ReadResponse().BodyText);
                Check(c, name, status);
            }
        }

        [Fact]
        public void EveryKeptConnectionCaseIsInTheCorpus()
            => Assert.All(KeepTheConnection, name => Assert.Contains(MalformedRequests.All, c => c.Name == name));

        [Fact]
        public void ContentLengthOfTwoGibibytesIs413BeforeAnyBodyIsSent()
        {
            foreach (string extra in new[] { string.Empty, "Expect: 100-continue\r\n" })
            {
                using RawConnection c = _server.Server.Connect();

                // Only the head: if the server waited for the body, this would time out instead.
                c.Send("PUT /huge HTTP/1.1\r\nHost: t\r\n" + extra + "Content-Length: 2147483648\r\n\r\n");
                RawResponse response = c.ReadResponse();
                Assert.Equal(413, response.Status); // and not 100 Continue first
                Assert.Equal("HTTP/1.1 413 Content Too Large", response.StatusLine);
                Assert.True(response.SaysClose);
                Assert.True(c.WaitClosed(CloseWait), "the connection stayed open after a refused body");
            }

            Assert.Null(_server.Server.Server.Store.Get(Requests.Utf8("huge")));
        }

        private static void Check(RawConnection c, string name, int status)
        {
            RawResponse response = c.ReadResponse();
            Assert.True(status == response.Status, name + ": expected " + status + ", got " + response.StatusLine + " (" + response.BodyText.Trim() + ")");
            Assert.StartsWith("text/plain", response.Header("Content-Type"));
            Assert.NotNull(response.Header("Date"));
            if (status == 405)
            {
                Assert.Equal("GET, HEAD, PUT, POST, DELETE", response.Header("Allow"));
            }

            if (KeepTheConnection.Contains(name))
            {
                Assert.False(response.SaysClose, name + ": said close, but the stream is not in doubt");
                Assert.Equal(404, RoutesTests.Exchange(c, Requests.Get("/absent"), 404).Status);
            }
            else
            {
                Assert.True(response.SaysClose, name + ": the stream is in doubt, but the response did not say Connection: close");
                Assert.True(c.WaitClosed(CloseWait), name + ": the stream is in doubt, but the server kept the connection open");
            }
        }

        /// <summary>One server for the whole corpus (a server per case would cost more than the cases).</summary>
        public sealed class SharedServer : IDisposable
        {
            public SharedServer()
            {
                Server = TestServer.Start();
                using RawConnection c = Server.Connect();
                RoutesTests.Exchange(c, Requests.Put("/good", "good value"), 201);
            }

            internal TestServer Server { get; }

            public void Dispose() => Server.Dispose();
        }
    }
}
