using System.Globalization;
using System.Text;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>
    /// The bytes a target's path and query may hold (RFC 9112 §3.2, RFC 3986 §3.3, §3.4): everything else
    /// is 400 BadTarget, where it used to become bytes of the key.
    /// </summary>
    public sealed class TargetSyntaxTests
    {
        // unreserved, "%" of pct-encoded, sub-delims, ":" "@" (pchar), "/" "?" (path and query).
        private const string Allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~" + "%" + "!$&'()*+,;=" + ":@" + "/?";

        [Fact]
        public void EveryByteIsJudgedByRfc3986()
        {
            for (int b = 0; b < 256; b++)
            {
                bool allowed = Allowed.Contains((char)b);
                Assert.True(allowed == TargetSyntax.IsPathAndQuery(new[] { (byte)b }), "byte 0x" + b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        [Theory]
        [InlineData("/")]
        [InlineData("/a/b/c")]
        [InlineData("/k?")]
        [InlineData("/?prefix=a%2Fb&after=k&limit=10")]
        [InlineData("/a:b@c!$&'()*+,;=-._~")]
        [InlineData("/k?q=/?:@")]
        [InlineData("/%00%ff%C3%A9")]
        [InlineData("")]
        [InlineData("?only=query")]
        public void PathsAndQueriesOfAllowedBytesPass(string text)
            => Assert.True(TargetSyntax.IsPathAndQuery(Encoding.ASCII.GetBytes(text)));

        [Theory]
        [InlineData("/a\"b")]
        [InlineData("/<")]
        [InlineData("/>")]
        [InlineData("/a\\b")]
        [InlineData("/^")]
        [InlineData("/`")]
        [InlineData("/{")]
        [InlineData("/|")]
        [InlineData("/}")]
        [InlineData("/[")]
        [InlineData("/]")]
        [InlineData("/k#f")]
        [InlineData("/k?q=#")]
        [InlineData("/caf\u00e9")]
        [InlineData("/\u0080")]
        [InlineData("/\u00ff")]
        [InlineData("/a b")]
        [InlineData("/\u007f")]
        public void OtherBytesAreRefused(string text)
            => Assert.False(TargetSyntax.IsPathAndQuery(Encoding.Latin1.GetBytes(text)));

        [Theory]
        [InlineData("GET /a{b HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("GET /caf\u00e9 HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("GET /k?x=\u00ff HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("GET /k#top HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("GET http://x/a|b HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("GET http://x?a^b HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("GET http://[::1]/[k] HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("PUT /a\"b HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n")]
        public void TheParserRefusesThemAsABadTarget(string request)
        {
            ParseStatus status = RequestParser.TryParse(Encoding.Latin1.GetBytes(request), new HttpLimits(), out _, out _, out RejectReason reason);
            Assert.Equal(ParseStatus.Rejected, status);
            Assert.Equal(RejectReason.BadTarget, reason);
        }

        [Theory]
        [InlineData("GET /k?a=%zz HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("GET /k?a=% HTTP/1.1\r\nHost: x\r\n\r\n")]
        [InlineData("GET http://x?%4 HTTP/1.1\r\nHost: x\r\n\r\n")]
        public void ABadPercentEncodingInTheQueryIsRefusedLikeOneInThePath(string request)
        {
            ParseStatus status = RequestParser.TryParse(Encoding.ASCII.GetBytes(request), new HttpLimits(), out _, out int consumed, out RejectReason reason);
            Assert.Equal(ParseStatus.Rejected, status);
            Assert.Equal(RejectReason.BadPercentEncoding, reason);
            Assert.Equal(request.Length, consumed);
        }
    }
}
