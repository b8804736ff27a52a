using System;
using System.Collections.Generic;
using System.Text;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>
    /// What the parser records for the handler beyond the key: the raw query, the head's length, and a
    /// <see cref="FieldRef"/> per field the handler reads, with repeated lines counted and walked.
    /// </summary>
    public sealed class RequestHeadFieldsTests
    {
        private static readonly HttpLimits Limits = new HttpLimits();

        [Theory]
        [InlineData("GET /k HTTP/1.1\r\nHost: x\r\n\r\n", "k", null)]
        [InlineData("GET /k? HTTP/1.1\r\nHost: x\r\n\r\n", "k", "")]
        [InlineData("GET /?prefix=a%2Fb&after=k&limit=10 HTTP/1.1\r\nHost: x\r\n\r\n", "", "prefix=a%2Fb&after=k&limit=10")]
        [InlineData("PUT /k?ttl=60 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "k", "ttl=60")]
        [InlineData("GET /a/b?x=1?y=/z:@!$'()*+,; HTTP/1.1\r\nHost: x\r\n\r\n", "a/b", "x=1?y=/z:@!$'()*+,;")]
        [InlineData("GET http://example.com/abs/key?q=1 HTTP/1.1\r\nHost: x\r\n\r\n", "abs/key", "q=1")]
        [InlineData("GET http://example.com?prefix=p HTTP/1.1\r\nHost: x\r\n\r\n", "", "prefix=p")]
        [InlineData("GET http://example.com/?prefix=p HTTP/1.1\r\nHost: x\r\n\r\n", "", "prefix=p")]
        [InlineData("GET HTTPS://[::1]:8080/k? HTTP/1.1\r\nHost: x\r\n\r\n", "k", "")]
        [InlineData("GET http://example.com HTTP/1.1\r\nHost: x\r\n\r\n", "", null)]
        [InlineData("\r\n\r\nGET /k?a HTTP/1.1\r\nHost: x\r\n\r\n", "k", "a")]
        public void TheQueryIsTheRawTargetAfterTheQuestionMark(string request, string key, string? query)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(request);
            RequestHead head = Parse(bytes);
            Assert.Equal(key, Encoding.ASCII.GetString(bytes, head.KeyOffset, head.KeyLength).Replace("%2F", "/", StringComparison.Ordinal));
            Assert.Equal(query is not null, head.HasQuery);
            Assert.Equal(query ?? string.Empty, Encoding.ASCII.GetString(bytes, head.QueryOffset, head.QueryLength));
        }

        [Fact]
        public void HeadLengthIsWhereTheBodyStarts()
        {
            byte[] bytes = Encoding.ASCII.GetBytes("\r\nPUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
            Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(bytes, Limits, out RequestHead head, out int consumed, out _));
            Assert.Equal(consumed, head.HeadLength);
            Assert.Equal("hello", Encoding.ASCII.GetString(bytes, head.HeadLength, bytes.Length - head.HeadLength));
        }

        [Fact]
        public void EachFieldTheHandlerReadsIsRecordedWithItsTrimmedValue()
        {
            byte[] bytes = Encoding.ASCII.GetBytes(
                "GET /k HTTP/1.1\r\nHost: x\r\n"
                + "if-match:\"a\"\r\n"
                + "If-None-Match: \t W/\"b\", \"c\" \t\r\n"
                + "IF-RANGE: \"d\"\r\n"
                + "Range: bytes=0-9\r\n"
                + "Prefer: wait=10\r\n"
                + "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
                + "If-Unmodified-Since:   Sunday, 06-Nov-94 08:49:37 GMT  \r\n"
                + "X-If-Match: \"ignored\"\r\n"
                + "\r\n");
            RequestHead head = Parse(bytes);
            Assert.Equal("\"a\"", Value(bytes, head.IfMatch));
            Assert.Equal("W/\"b\", \"c\"", Value(bytes, head.IfNoneMatch));
            Assert.Equal("\"d\"", Value(bytes, head.IfRange));
            Assert.Equal("bytes=0-9", Value(bytes, head.Range));
            Assert.Equal("wait=10", Value(bytes, head.Prefer));
            Assert.Equal("Sun, 06 Nov 1994 08:49:37 GMT", Value(bytes, head.IfModifiedSince));
            Assert.Equal("Sunday, 06-Nov-94 08:49:37 GMT", Value(bytes, head.IfUnmodifiedSince));
            foreach (FieldRef field in new[] { head.IfMatch, head.IfNoneMatch, head.IfRange, head.Range, head.Prefer, head.IfModifiedSince, head.IfUnmodifiedSince })
            {
                Assert.Equal(1, field.Count);
                Assert.True(field.IsPresent);
            }
        }

        [Fact]
        public void AbsentFieldsHaveNoCount()
        {
            RequestHead head = Parse(Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n"));
            foreach (FieldRef field in new[] { head.IfMatch, head.IfNoneMatch, head.IfRange, head.Range, head.Prefer, head.IfModifiedSince, head.IfUnmodifiedSince })
            {
                Assert.Equal(0, field.Count);
                Assert.False(field.IsPresent);
            }
        }

        [Fact]
        public void AnEmptyValueIsRecordedEmpty()
        {
            byte[] bytes = Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\nPrefer:\r\nIf-None-Match:  \r\n\r\n");
            RequestHead head = Parse(bytes);
            Assert.Equal(1, head.Prefer.Count);
            Assert.Equal(string.Empty, Value(bytes, head.Prefer));
            Assert.Equal(1, head.IfNoneMatch.Count); // an empty list: valid, matching nothing
            Assert.Equal(string.Empty, Value(bytes, head.IfNoneMatch));
        }

        [Fact]
        public void RepeatedFieldsAreCountedAndEveryLineIsWalked()
        {
            byte[] bytes = Encoding.ASCII.GetBytes(
                "GET /k HTTP/1.1\r\nHost: x\r\n"
                + "If-None-Match: \"a\"\r\n"
                + "Prefer: respond-async\r\n"
                + "X-Other: 1\r\n"
                + "if-none-match:  W/\"b\" , \"c\"\r\n"
                + "Prefer: wait=5\r\n"
                + "If-None-Match-X: \"no\"\r\n"
                + "IF-NONE-MATCH: \r\n"
                + "\r\n"
                + "If-None-Match: \"body\"\r\n");
            RequestHead head = Parse(bytes, bytes.Length - 23);
            Assert.Equal(3, head.IfNoneMatch.Count);
            Assert.Equal("\"a\"", Value(bytes, head.IfNoneMatch));
            Assert.Equal(2, head.Prefer.Count);

            var expected = new[] { "\"a\"", "W/\"b\" , \"c\"", string.Empty };
            Assert.Equal(expected, Walk(new FieldValues(bytes.AsSpan(0, head.HeadLength), "If-None-Match"u8)));
            Assert.Equal(expected, Walk(new FieldValues(bytes, in head.IfNoneMatch, "If-None-Match"u8)));

            // The whole buffer, body included: the walk stops at the head's empty line.
            Assert.Equal(expected, Walk(new FieldValues(bytes, "if-none-match"u8)));
            Assert.Equal(new[] { "respond-async", "wait=5" }, Walk(new FieldValues(bytes, in head.Prefer, "Prefer"u8)));
            Assert.Empty(Walk(new FieldValues(bytes, in head.IfRange, "If-Range"u8)));
            Assert.Empty(Walk(new FieldValues(bytes, "Range"u8)));
        }

        [Fact]
        public void TheRequestLineIsNeverTakenForAField()
        {
            byte[] bytes = Encoding.ASCII.GetBytes("\r\nGET /Range: HTTP/1.1\r\nHost: x\r\nRange: bytes=1-\r\n\r\n");
            Assert.Equal(new[] { "bytes=1-" }, Walk(new FieldValues(bytes, "Range"u8)));
        }

        [Theory]
        [InlineData("If-Match: *")]
        [InlineData("If-Match: \"xyzzy\"")]
        [InlineData("If-Match: \"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"")]
        [InlineData("If-None-Match: W/\"xyzzy\"")]
        [InlineData("If-None-Match: W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"")]
        [InlineData("If-None-Match: *")]
        [InlineData("If-None-Match: \"\"")]
        [InlineData("If-None-Match: ,\"a\",,  ,W/\"b\",")]
        [InlineData("If-Match: \"a\"\r\nIf-Match: \"b\"")]
        [InlineData("If-Match: \"a\"\r\nIf-Match:")]
        [InlineData("If-Match: *\r\nIf-None-Match: *")]
        [InlineData("If-Match: \"caf\u00e9!#~\"")]
        [InlineData("If-Range: not checked here")]
        [InlineData("Range: neither")]
        public void WellFormedPreconditionsAreAccepted(string fields)
            => Parse(Encoding.Latin1.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n\r\n"));

        [Theory]
        [InlineData("If-Match: xyzzy")]
        [InlineData("If-Match: \"a\"b")]
        [InlineData("If-Match: \"a\" \"b\"")]
        [InlineData("If-Match: \"a\";\"b\"")]
        [InlineData("If-Match: * ,")]
        [InlineData("If-Match: **")]
        [InlineData("If-Match: \"a\", *")]
        [InlineData("If-Match: w/\"a\"")]
        [InlineData("If-Match: W\"a\"")]
        [InlineData("If-Match: W/ \"a\"")]
        [InlineData("If-None-Match: \"a")]
        [InlineData("If-None-Match: \"a\\\"b\"")]
        [InlineData("If-None-Match: *\r\nIf-None-Match: \"a\"")]
        [InlineData("If-None-Match: \"a\"\r\nIf-None-Match: *")]
        [InlineData("If-None-Match: *\r\nIf-None-Match:")]
        [InlineData("If-None-Match: \"a\"\r\nIf-None-Match: b")]
        public void MalformedPreconditionsAreRefusedOnceTheHeadIsWhole(string fields)
        {
            byte[] bytes = Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n\r\nGET /next HTTP/1.1\r\n");
            ParseStatus status = RequestParser.TryParse(bytes, Limits, out RequestHead head, out int consumed, out RejectReason reason);
            Assert.Equal(ParseStatus.Rejected, status);
            Assert.Equal(RejectReason.BadPrecondition, reason);
            Assert.Equal(bytes.Length - "GET /next HTTP/1.1\r\n".Length, consumed); // the next request can be read
            Assert.True(head.KeepAlive);
            Rejection rejection = Rejections.For(reason);
            Assert.Equal(400, rejection.Status);
            Assert.False(rejection.AlwaysClose);
        }

        [Fact]
        public void RecordingTheFieldsAllocatesNothing()
        {
            byte[][] requests =
            {
                Encoding.ASCII.GetBytes("GET /?prefix=a&after=b&limit=3 HTTP/1.1\r\nHost: x\r\nIf-None-Match: W/\"a\", \"0123456789abcdef\"\r\nIf-None-Match: \"b\"\r\nRange: bytes=0-\r\nPrefer: wait=5\r\nIf-Range: \"a\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"),
                Encoding.ASCII.GetBytes("PUT http://x/k?ttl=5 HTTP/1.1\r\nHost: x\r\nIf-Match: *\r\nContent-Length: 1\r\nIf-Unmodified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n"),
                Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\nIf-Match: *, \"a\"\r\n\r\n"),
                Encoding.ASCII.GetBytes("GET /k{ HTTP/1.1\r\nHost: x\r\n\r\n"),
                Encoding.ASCII.GetBytes("GET /k?%zz HTTP/1.1\r\nHost: x\r\n\r\n"),
            };
            Assert.Equal(0, Allocations.Of(() => ParseAll(requests)));
        }

        private static int ParseAll(byte[][] requests)
        {
            int found = 0;
            foreach (byte[] request in requests)
            {
                RequestParser.TryParse(request, Limits, out RequestHead head, out _, out _);
                foreach (ReadOnlySpan<byte> value in new FieldValues(request, in head.IfNoneMatch, RequestFields.IfNoneMatch))
                {
                    found += value.Length;
                }
            }

            return found;
        }

        private static RequestHead Parse(byte[] bytes, int? headLength = null)
        {
            ParseStatus status = RequestParser.TryParse(bytes, Limits, out RequestHead head, out int consumed, out RejectReason reason);
            Assert.True(status == ParseStatus.Complete, Encoding.Latin1.GetString(bytes) + ": " + status + " " + reason);
            Assert.Equal(headLength ?? bytes.Length, consumed);
            Assert.Equal(consumed, head.HeadLength);
            return head;
        }

        private static string Value(byte[] bytes, FieldRef field) => Encoding.ASCII.GetString(field.FirstValue(bytes));

        private static List<string> Walk(FieldValues values)
        {
            var all = new List<string>();
            foreach (ReadOnlySpan<byte> value in values)
            {
                all.Add(Encoding.ASCII.GetString(value));
            }

            return all;
        }
    }
}
