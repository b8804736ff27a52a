using System;
using System.Linq;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api.Contract
{
    /// <summary>Range requests over real sockets (docs/api.md, RFC 9110 §14): one range, served from its offset. On each backend (<see cref="ApiBackend"/>).</summary>
    public abstract class RangeRequestContract
    {
        private protected RangeRequestContract(ApiBackend backend) => Backend = backend;

        private protected ApiBackend Backend { get; }

        [Theory]
        [InlineData("bytes=0-3", 0, 4)]
        [InlineData("bytes=4-", 4, 6)]
        [InlineData("bytes=-3", 7, 3)]
        [InlineData("bytes=2-100", 2, 8)]
        [InlineData("BYTES=9-9", 9, 1)]
        [InlineData("bytes=-100", 0, 10)]
        public void OneRangeAnswers206WithItsBytesAndContentRange(string range, int start, int count)
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string etag = ConditionalRequestContract.ETagOf(Exchange(c, Requests.Put("/k", "0123456789"), 201));
            RawResponse partial = Exchange(c, Requests.Get("/k", "Range: " + range + "\r\n"), 206);
            Assert.Equal("0123456789".Substring(start, count), partial.BodyText);
            Assert.Equal("bytes " + start + "-" + (start + count - 1) + "/10", partial.Header("Content-Range"));
            Assert.Equal(etag, partial.Header("ETag"));
            Assert.Equal("application/octet-stream", partial.Header("Content-Type"));
        }

        [Theory]
        [InlineData("bytes=10-")]
        [InlineData("bytes=10-20")]
        [InlineData("bytes=-0")]
        public void AnUnsatisfiableRangeAnswers416WithTheLength(string range)
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/k", "0123456789"), 201);
            RawResponse refused = Exchange(c, Requests.Get("/k", "Range: " + range + "\r\n"), 416);
            Assert.Equal("bytes */10", refused.Header("Content-Range"));
            Assert.Equal("0123456789", Exchange(c, Requests.Get("/k"), 200).BodyText); // the connection goes on
        }

        [Theory]
        [InlineData("bytes=0-1,4-5")]
        [InlineData("bytes=5-2")]
        [InlineData("items=0-1")]
        [InlineData("bytes=x-y")]
        public void SeveralRangesOrOnesWeCannotReadGetTheWholeValue(string range)
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/k", "0123456789"), 201);
            RawResponse whole = Exchange(c, Requests.Get("/k", "Range: " + range + "\r\n"), 200);
            Assert.Equal("0123456789", whole.BodyText);
            Assert.Null(whole.Header("Content-Range"));
        }

        [Fact]
        public void IfRangeServesTheRangeOnlyForTheCurrentVersion()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            string old = ConditionalRequestContract.ETagOf(Exchange(c, Requests.Put("/k", "0123456789"), 201));
            string current = ConditionalRequestContract.ETagOf(Exchange(c, Requests.Put("/k", "abcdefghij"), 204));
            Assert.Equal("cd", Exchange(c, Requests.Get("/k", "Range: bytes=2-3\r\nIf-Range: " + current + "\r\n"), 206).BodyText);
            Assert.Equal("abcdefghij", Exchange(c, Requests.Get("/k", "Range: bytes=2-3\r\nIf-Range: " + old + "\r\n"), 200).BodyText);
            Assert.Equal("abcdefghij", Exchange(c, Requests.Get("/k", "Range: bytes=2-3\r\nIf-Range: W/" + current + "\r\n"), 200).BodyText);
            Assert.Equal("abcdefghij", Exchange(c, Requests.Get("/k", "Range: bytes=2-3\r\nIf-Range: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 200).BodyText);
        }

        [Fact]
        public void ALargeValuesRangeIsSentFromItsOffset()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            byte[] value = Enumerable.Range(0, Backend.LargeValueLength).Select(i => (byte)(i * 31 + (i >> 12))).ToArray();
            Exchange(c, Requests.Put("/big", value), 201);

            // From a third of the way in to 100 000 bytes before its end.
            int start = value.Length / 3, count = (value.Length * 2 / 3) - 100_000;
            RawResponse partial = Exchange(c, Requests.Get("/big", "Range: bytes=" + start + "-" + (start + count - 1) + "\r\n"), 206);
            Assert.Equal(value.AsSpan(start, count).ToArray(), partial.Body);
            Assert.Equal("bytes " + start + "-" + (start + count - 1) + "/" + value.Length, partial.Header("Content-Range"));
            Assert.Equal(value.AsSpan(value.Length - 5).ToArray(), Exchange(c, Requests.Get("/big", "Range: bytes=-5\r\n"), 206).Body);
        }

        [Fact]
        public void HeadIgnoresRangeAndAdvertisesIt()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/k", "0123456789"), 201);
            RawResponse head = Exchange(c, Requests.Head("/k", "Range: bytes=0-1\r\n"), 200, toHead: true);
            Assert.Equal(("10", "bytes"), (head.Header("Content-Length"), head.Header("Accept-Ranges")));
        }

        private static RawResponse Exchange(RawConnection c, string request, int status, bool toHead = false) => c.Exchange(request, status, toHead);

        private static RawResponse Exchange(RawConnection c, byte[] request, int status) => c.Exchange(request, status);
    }
}
