using System;
using System.Text;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>
    /// The request parser against well-formed and malformed heads. The whole malformed corpus, whose
    /// refusals are partly the key-value handler's (key and value size), runs through the exchange in
    /// Exchange/ExchangeTests.
    /// </summary>
    public sealed class RequestParserTests
    {
        private static readonly HttpLimits Limits = new HttpLimits();

        [Theory]
        [InlineData("GET /k HTTP/1.1\r\nHost: x\r\n\r\n", "Get", true, true)]
        [InlineData("HEAD /k HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "Head", true, false)]
        [InlineData("GET /k HTTP/1.0\r\n\r\n", "Get", false, false)]
        [InlineData("GET /k HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "Get", false, true)]
        [InlineData("DELETE /k HTTP/1.1\r\nhOsT: x\r\nConnection: foo, close\r\n\r\n", "Delete", true, false)]
        [InlineData("\r\nGET /k HTTP/1.1\r\nHost: x\r\n\r\n", "Get", true, true)]
        public void WellFormedHeadsParse(string request, string method, bool http11, bool keepAlive)
        {
            RequestHead head = ParseComplete(request);
            Assert.Equal(method, head.Method.ToString());
            Assert.Equal(http11, head.Http11);
            Assert.Equal(keepAlive, head.KeepAlive);
            Assert.Equal("k", Key(request, head));
        }

        [Theory]
        [InlineData("GET /a/b/c HTTP/1.1\r\nHost: x\r\n\r\n", "a/b/c")]
        [InlineData("GET /a%2Fb HTTP/1.1\r\nHost: x\r\n\r\n", "a/b")]
        [InlineData("GET /with%20space HTTP/1.1\r\nHost: x\r\n\r\n", "with space")]
        [InlineData("GET /%C3%A9t%C3%A9 HTTP/1.1\r\nHost: x\r\n\r\n", "été")]
        [InlineData("GET /k?ignored=1 HTTP/1.1\r\nHost: x\r\n\r\n", "k")]
        [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n", "")]
        [InlineData("GET http://example.com/abs/key HTTP/1.1\r\nHost: x\r\n\r\n", "abs/key")]
        [InlineData("GET HTTP://example.com:8080/k HTTP/1.1\r\nHost: x\r\n\r\n", "k")]
        [InlineData("GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n", "")]
        [InlineData("GET http://[::1]:8080/k HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", "k")]
        [InlineData("GET http://127.0.0.1:/k?q HTTP/1.1\r\nHost: 127.0.0.1:\r\n\r\n", "k")]
        [InlineData("GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", "../../etc/passwd")]
        [InlineData("GET /a+b HTTP/1.1\r\nHost: x\r\n\r\n", "a+b")]
        public void KeysArePercentDecodedPaths(string request, string key)
            => Assert.Equal(key, Key(request, ParseComplete(request)));

        /// <summary>Host = uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2): what is valid is accepted.</summary>
        [Theory]
        [InlineData("")] // allowed when the target has no authority (RFC 9110 §7.2); not checked against the target
        [InlineData("example.com")]
        [InlineData("Example.COM.")]
        [InlineData("example.com:8080")]
        [InlineData("example.com:")] // port = *DIGIT
        [InlineData("127.0.0.1")]
        [InlineData("127.0.0.1:80")]
        [InlineData("999.1.1.1")] // not an IPv4address, but a reg-name
        [InlineData("a-b.c_d~e")]
        [InlineData("%41b%2fc")]
        [InlineData("!$&'()*+,;=")]
        [InlineData("[::1]")]
        [InlineData("[::1]:8080")]
        [InlineData("[::]")]
        [InlineData("[2001:db8::1]")]
        [InlineData("[2001:DB8:0:0:8:800:200C:417A]")]
        [InlineData("[1::]")]
        [InlineData("[::ffff:192.0.2.1]")]
        [InlineData("[1:2:3:4:5:6:7::]")]
        [InlineData("[1:2:3:4:5:6:1.2.3.4]")]
        [InlineData("[v1.fe80::a+en1]")]
        [InlineData("[V1F.x:y]")]
        public void ValidHostsAreAccepted(string host)
            => ParseComplete("GET /k HTTP/1.1\r\nHost:  " + host + " \r\n\r\n");

        /// <summary>Host values outside the grammar (RFC 9112 §3.2: MUST respond 400).</summary>
        [Theory]
        [InlineData("x y")]
        [InlineData("user@x")]
        [InlineData("x/y")]
        [InlineData("x?y")]
        [InlineData("x#y")]
        [InlineData("x\\y")]
        [InlineData("x\"y")]
        [InlineData("x<y>")]
        [InlineData("x%")]
        [InlineData("x%4")]
        [InlineData("x%zz")]
        [InlineData("x:y")]
        [InlineData("x:80:80")]
        [InlineData("x:-1")]
        [InlineData("x: 80")]
        [InlineData("::1")]
        [InlineData("[::1")]
        [InlineData("::1]")]
        [InlineData("[]")]
        [InlineData("[x]")]
        [InlineData("[::1]x")]
        [InlineData("[::1]:x")]
        [InlineData("[::1]]")]
        [InlineData("[[::1]]")]
        [InlineData("[:::1]")]
        [InlineData("[1::2::3]")]
        [InlineData("[12345::]")]
        [InlineData("[1:2:3:4:5:6:7:8:9]")]
        [InlineData("[1:2:3:4:5:6:7]")]
        [InlineData("[1:2:3:4:5:6:7:8::]")]
        [InlineData("[:1::]")]
        [InlineData("[1::2:]")]
        [InlineData("[::1.2.3]")]
        [InlineData("[::1.2.3.256]")]
        [InlineData("[::1.2.3.04]")]
        [InlineData("[::1.2.3.4:5]")]
        [InlineData("[1:2:3:4:5:6:7:1.2.3.4]")]
        [InlineData("[fe80::1%25eth0]")] // zone identifiers (RFC 6874) are not part of the Host grammar
        [InlineData("[v1]")]
        [InlineData("[v.x]")]
        [InlineData("[v1.]")]
        [InlineData("[v1.x/y]")]
        [InlineData("caf\u00e9")]
        public void InvalidHostsAreRejected(string host)
        {
            int status = StatusOf(MalformedRequests.Bytes("GET /k HTTP/1.1\r\nHost: " + host + "\r\n\r\n"));
            Assert.True(status == 400, "Host: " + host + ": expected 400, got " + status);
        }

        /// <summary>Each new refusal names its own rule, and closes the connection (the stream is in doubt).</summary>
        [Theory]
        [InlineData("PUT /k HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "TransferEncodingInHttp10")]
        [InlineData("PUT /k HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", "TransferEncodingInHttp10")]
        [InlineData("PUT /k HTTP/1.0\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc", "TransferEncodingInHttp10")]
        [InlineData("PUT /k HTTP/1.0\r\nTransfer-Encoding:\r\nContent-Length: 3\r\n\r\nabc", "TransferEncodingInHttp10")]
        [InlineData("GET /k HTTP/1.1\r\nHost: x y\r\n\r\n", "BadHost")]
        [InlineData("GET /k HTTP/1.0\r\nHost: [::1\r\n\r\n", "BadHost")]
        [InlineData("GET /k HTTP/1.1\r\nHost: x\r\nHost: x y\r\n\r\n", "DuplicateHost")]
        [InlineData("GET http://u@x/k HTTP/1.1\r\nHost: x\r\n\r\n", "BadTarget")]
        [InlineData("GET http://:80/k HTTP/1.1\r\nHost: x\r\n\r\n", "BadTarget")]
        [InlineData("GET http://x#f HTTP/1.1\r\nHost: x\r\n\r\n", "BadTarget")]
        public void FramingAndHostRefusalsNameTheirRule(string request, string reason)
        {
            ParseStatus status = RequestParser.TryParse(Encoding.ASCII.GetBytes(request), Limits, out _, out _, out RejectReason actual);
            Assert.Equal(ParseStatus.Rejected, status);
            Assert.Equal(reason, actual.ToString());
            Assert.Equal(400, Rejections.For(actual).Status);
            Assert.True(Rejections.For(actual).AlwaysClose);
        }

        [Fact]
        public void BodyFramingIsRead()
        {
            RequestHead put = ParseComplete("PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 42\r\nExpect: 100-continue\r\n\r\n");
            Assert.Equal(42, put.ContentLength);
            Assert.True(put.ExpectContinue);
            RequestHead chunked = ParseComplete("POST /k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n");
            Assert.True(chunked.Chunked);
            Assert.Equal(-1, chunked.ContentLength);
            RequestHead ten = ParseComplete("PUT /k HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n");
            Assert.False(ten.ExpectContinue); // RFC 9110 §10.1.1: ignored for HTTP/1.0
        }

        [Fact]
        public void EveryPrefixOfAValidRequestIsIncomplete()
        {
            byte[] request = Encoding.ASCII.GetBytes("PUT /some/key HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello");
            int headLength = request.Length - 5;
            for (int length = 0; length < headLength; length++)
            {
                ParseStatus status = RequestParser.TryParse(request.AsSpan(0, length), Limits, out _, out _, out RejectReason reason);
                Assert.True(status == ParseStatus.Incomplete, "prefix of " + length + " bytes: " + status + " " + reason);
            }

            Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(request, Limits, out _, out int consumed, out _));
            Assert.Equal(headLength, consumed);
        }

        [Fact]
        public void ParsingAllocatesNothingEvenWhenRejecting()
        {
            byte[] good = Encoding.ASCII.GetBytes("PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\n");
            byte[] bad = Encoding.ASCII.GetBytes("PUT /k HTTP/1.1\r\nHost : x\r\n\r\n");
            byte[] literal = Encoding.ASCII.GetBytes("GET http://[2001:db8::1]:80/k HTTP/1.1\r\nHost: [v1.x]:8080\r\n\r\n");
            byte[] badHost = Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: [::1:\r\n\r\n");
            byte[] ten = Encoding.ASCII.GetBytes("PUT /k HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
            byte[][] requests = { good, bad, literal, badHost, ten };
            for (int i = 0; i < 100; i++)
            {
                foreach (byte[] request in requests)
                {
                    RequestParser.TryParse(request, Limits, out _, out _, out _);
                }
            }

            Assert.Equal(0, Allocations.InSteadyState(() =>
            {
                for (int i = 0; i < 10_000; i++)
                {
                    foreach (byte[] request in requests)
                    {
                        RequestParser.TryParse(request, Limits, out _, out _, out _);
                    }
                }
            }));
        }

        /// <summary>The status the server answers with: a parse rejection, or a chunked-framing error found reading the body.</summary>
        internal static int StatusOf(byte[] request)
        {
            ParseStatus status = RequestParser.TryParse(request, Limits, out RequestHead head, out int consumed, out RejectReason reason);
            if (status == ParseStatus.Rejected)
            {
                return Rejections.For(reason).Status;
            }

            Assert.Equal(ParseStatus.Complete, status);
            if (head.Chunked)
            {
                var decoder = new ChunkedDecoder();
                ReadOnlySpan<byte> body = request.AsSpan(consumed);
                while (true)
                {
                    ChunkStatus chunk = decoder.Decode(body, out int used, out _, out _);
                    body = body.Slice(used);
                    if (chunk == ChunkStatus.Error)
                    {
                        return 400;
                    }

                    if (chunk is ChunkStatus.Done or ChunkStatus.NeedMore)
                    {
                        break;
                    }
                }
            }

            return 200;
        }

        private static RequestHead ParseComplete(string request)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(request);
            ParseStatus status = RequestParser.TryParse(bytes, Limits, out RequestHead head, out int consumed, out RejectReason reason);
            Assert.True(status == ParseStatus.Complete, request + ": " + status + " " + reason);
            Assert.Equal(bytes.Length, consumed);
            return head;
        }

        private static string Key(string request, RequestHead head)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(request);
            ReadOnlySpan<byte> encoded = bytes.AsSpan(head.KeyOffset, head.KeyLength);
            byte[] decoded = new byte[KeyDecoder.DecodedLength(encoded)];
            KeyDecoder.Decode(encoded, decoded);
            return Encoding.UTF8.GetString(decoded);
        }
    }
}
