using System;
using System.Collections.Generic;
using System.Text;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>
    /// The chunked decoder (RFC 9112 §7.1) against exact grammar. Input reaches the server split at
    /// arbitrary bytes, so every case is decoded whole, cut in two at every offset, and byte by byte:
    /// the verdict, the data and where the decoder stopped must not depend on where the cuts fell.
    /// </summary>
    public sealed class ChunkedDecoderTests
    {
        [Theory]
        [InlineData("5\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5;a=b\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5;a\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5;a;b=c;d\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5;name=\"quoted;value\"\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5;q=\"esc\\\"aped\\\\\"\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5;q=\"\"\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5;q=\"tab\there\"\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5; a = b ;c\r\nhello\r\n0\r\n\r\n", "hello")] // BWS inside chunk-ext, where the grammar puts it
        [InlineData("5;\ta\t=\t\"b\"\t;\tc\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("5;!#$%&'*+-.^_`|~09azAZ=!#$%&'*+-.^_`|~\r\nhello\r\n0\r\n\r\n", "hello")] // every tchar
        [InlineData("A\r\n0123456789\r\n0\r\n\r\n", "0123456789")]
        [InlineData("a\r\n0123456789\r\n0\r\n\r\n", "0123456789")]
        [InlineData("000000005\r\nhello\r\n0\r\n\r\n", "hello")]
        [InlineData("2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n", "hello")]
        [InlineData("0\r\n\r\n", "")]
        [InlineData("0;last\r\n\r\n", "")]
        [InlineData("5\r\nhello\r\n0\r\nX-Trailer: yes\r\nChecksum:none\r\n\r\n", "hello")]
        [InlineData("5\r\nhello\r\n0\r\nX-Empty:\r\nX-Ows: \t a b \t \r\n\r\n", "hello")]
        [InlineData("5\r\nhello\r\n0\r\nX-Obs-Text: caf\u00e9\r\n\r\n", "hello")]
        [InlineData("5\r\nhe\r\nl\r\n0\r\n\r\n", "he\r\nl")] // data is opaque: CR and LF inside it are data
        public void WellFormedBodiesDecode(string body, string data)
        {
            Result result = DecodeAtEveryCut(body);
            Assert.Equal(ChunkStatus.Done, result.Status);
            Assert.Equal(data, result.Data);
            Assert.Equal(body.Length, result.Consumed);
        }

        /// <summary>Chunk-size lines outside <c>chunk-size [ chunk-ext ] CRLF</c>, with our one deliberate narrowing (no whitespace after the size).</summary>
        [Theory]
        [InlineData("2 erfrferferf\r\nab\r\n0\r\n\r\n", 1)] // junk after the size: some parsers read it as an extension
        [InlineData("3 9\r\nabc\r\n0\r\n\r\n", 1)] // two sizes: 3 to one parser, 0x39 to another
        [InlineData("5 ;x\r\nhello\r\n0\r\n\r\n", 1)] // BWS before ';': where parsers disagree, so refused
        [InlineData("5\t;x\r\nhello\r\n0\r\n\r\n", 1)]
        [InlineData("5 \r\nhello\r\n0\r\n\r\n", 1)]
        [InlineData("\r\nhello\r\n0\r\n\r\n", 0)] // empty size
        [InlineData(";a\r\nhello\r\n0\r\n\r\n", 0)]
        [InlineData(" 5\r\nhello\r\n0\r\n\r\n", 0)]
        [InlineData("-5\r\nhello\r\n0\r\n\r\n", 0)]
        [InlineData("0x5\r\nhello\r\n0\r\n\r\n", 1)]
        [InlineData("5\nhello\r\n0\r\n\r\n", 1)] // bare LF
        [InlineData("5\rhello\r\n0\r\n\r\n", 2)] // bare CR
        [InlineData("FFFFFFFFFFF\r\n", 10)] // 11 hex digits: past 2^40, refused before it can overflow
        [InlineData("00000000005\r\nhello\r\n0\r\n\r\n", 10)] // leading zeros count: the digit limit is on the text
        [InlineData("5;\r\nhello\r\n0\r\n\r\n", 2)] // ';' needs a name
        [InlineData("5;;a\r\nhello\r\n0\r\n\r\n", 2)]
        [InlineData("5;=b\r\nhello\r\n0\r\n\r\n", 2)]
        [InlineData("5;a=\r\nhello\r\n0\r\n\r\n", 4)] // '=' needs a value
        [InlineData("5;a==b\r\nhello\r\n0\r\n\r\n", 4)]
        [InlineData("5;a b\r\nhello\r\n0\r\n\r\n", 4)] // two names without ';'
        [InlineData("5;a=b c\r\nhello\r\n0\r\n\r\n", 6)]
        [InlineData("5;a \r\nhello\r\n0\r\n\r\n", 4)] // BWS only before ';' or '=', never before CRLF
        [InlineData("5;a=b \r\nhello\r\n0\r\n\r\n", 6)]
        [InlineData("5;a/b\r\nhello\r\n0\r\n\r\n", 3)] // '/' is not a tchar
        [InlineData("5;a=b/c\r\nhello\r\n0\r\n\r\n", 5)]
        [InlineData("5;a=\"open\r\nhello\r\n0\r\n\r\n", 9)] // unterminated quoted-string
        [InlineData("5;a=\"x\"y\r\nhello\r\n0\r\n\r\n", 7)]
        [InlineData("5;a=\"\\\r\nhello\r\n0\r\n\r\n", 6)] // quoted-pair of a CR
        [InlineData("5;a\0\r\nhello\r\n0\r\n\r\n", 3)] // NUL
        [InlineData("5;a=b\u0001\r\nhello\r\n0\r\n\r\n", 5)]
        [InlineData("5;a=\"b\u0001\"\r\nhello\r\n0\r\n\r\n", 6)] // a CTL inside quotes is still a CTL
        [InlineData("5;a=\"b\u007f\"\r\nhello\r\n0\r\n\r\n", 6)] // and so is DEL
        [InlineData("5;a=b\u007f\r\nhello\r\n0\r\n\r\n", 5)]
        [InlineData("5;a=b\rx\nhello\r\n0\r\n\r\n", 6)] // bare CR in an extension
        [InlineData("5;a=b\nhello\r\n0\r\n\r\n", 5)] // bare LF in an extension
        [InlineData("5;caf\u00e9\r\nhello\r\n0\r\n\r\n", 5)] // obs-text is not a tchar
        public void MalformedChunkSizeLinesAreRejected(string body, int errorAt)
            => AssertRejectedAt(body, errorAt);

        /// <summary>The data must be exactly chunk-size bytes followed by exactly CRLF.</summary>
        [Theory]
        [InlineData("3\r\nabcd\r\n0\r\n\r\n", 6)]
        [InlineData("3\r\nabc\n0\r\n\r\n", 6)]
        [InlineData("3\r\nabc\r0\r\n\r\n", 7)]
        [InlineData("3\r\nabc\r\r\n0\r\n\r\n", 7)]
        [InlineData("3\r\nabc \r\n0\r\n\r\n", 6)]
        public void DataNotFollowedByExactlyCrlfIsRejected(string body, int errorAt)
            => AssertRejectedAt(body, errorAt);

        /// <summary>Trailer fields are <c>field-name ":" OWS field-value OWS</c> (RFC 9112 §7.1.2, RFC 9110 §5.5), then ignored.</summary>
        [Theory]
        [InlineData("0\r\nX: a\0b\r\n\r\n", 7)] // NUL
        [InlineData("0\r\nX: a\u0001b\r\n\r\n", 7)]
        [InlineData("0\r\nX: a\u007fb\r\n\r\n", 7)] // DEL
        [InlineData("0\r\nX: a\rb\r\n\r\n", 8)] // bare CR
        [InlineData("0\r\nX: a\nb\r\n\r\n", 7)] // bare LF
        [InlineData("0\r\nX: a\r\n\n", 9)] // bare LF ends the trailer section
        [InlineData("0\r\n\n", 3)]
        [InlineData("0\r\n\r\r\n", 4)]
        [InlineData("0\r\nX : a\r\n\r\n", 4)] // whitespace before the colon
        [InlineData("0\r\nX\t: a\r\n\r\n", 4)]
        [InlineData("0\r\nNo-Colon\r\n\r\n", 11)]
        [InlineData("0\r\n: empty name\r\n\r\n", 3)]
        [InlineData("0\r\nX Y: a\r\n\r\n", 4)]
        [InlineData("0\r\nX/Y: a\r\n\r\n", 4)]
        [InlineData("0\r\nX: a\r\n folded\r\n\r\n", 9)] // obs-fold
        [InlineData("0\r\nX: a\r\n\tfolded\r\n\r\n", 9)]
        public void MalformedTrailerFieldsAreRejected(string body, int errorAt)
            => AssertRejectedAt(body, errorAt);

        [Fact]
        public void ExtensionsAndTrailersAreBoundedInLength()
        {
            string longName = new string('n', 17 * 1024);
            AssertRejected("5;" + longName + "\r\nhello\r\n0\r\n\r\n");
            AssertRejected("5;a=\"" + longName + "\"\r\nhello\r\n0\r\n\r\n");
            AssertRejected("0\r\nX: " + longName + "\r\n\r\n");

            var many = new StringBuilder("0\r\n");
            for (int i = 0; i < 2000; i++)
            {
                many.Append("X-").Append(i).Append(": v\r\n");
            }

            AssertRejected(many.Append("\r\n").ToString()); // the whole trailer section counts, not each line

            // Within the limit, the same shapes pass.
            string shortName = new string('n', 1000);
            Assert.Equal(ChunkStatus.Done, Decode(Latin1("5;" + shortName + "=\"" + shortName + "\"\r\nhello\r\n0\r\nX: " + shortName + "\r\n\r\n"), new[] { 3, 1500 }).Status);
        }

        [Fact]
        public void TheDecoderStopsAtTheEndOfTheBody()
        {
            // What follows the last CRLF is the next request: it must be left in the input, unread.
            string body = "3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n";
            byte[] bytes = Latin1(body + "GET /next HTTP/1.1\r\n\r\n");
            Result result = DecodeAtEveryCut(bytes);
            Assert.Equal(ChunkStatus.Done, result.Status);
            Assert.Equal("abc", result.Data);
            Assert.Equal(body.Length, result.Consumed);
        }

        [Fact]
        public void DecodingAllocatesNothing()
        {
            byte[] body = Latin1("5;a=b;q=\"x;y\"\r\nhello\r\n3\r\nabc\r\n0\r\nX-T: v\r\n\r\n");
            byte[] bad = Latin1("5;a=\"b\0\"\r\nhello\r\n0\r\n\r\n");
            DecodeOnce(body);
            DecodeOnce(bad);
            Assert.Equal(0, Allocations.InSteadyState(() =>
            {
                for (int i = 0; i < 10_000; i++)
                {
                    DecodeOnce(body);
                    DecodeOnce(bad);
                }
            }));

            static void DecodeOnce(byte[] input)
            {
                var decoder = new ChunkedDecoder();
                ReadOnlySpan<byte> rest = input;
                while (decoder.Decode(rest, out int used, out _, out _) == ChunkStatus.Data)
                {
                    rest = rest.Slice(used);
                }
            }
        }

        private static void AssertRejectedAt(string body, int errorAt)
        {
            Result result = DecodeAtEveryCut(body);
            Assert.True(result.Status == ChunkStatus.Error, Printable(body) + ": expected Error, got " + result.Status);
            Assert.True(errorAt == result.Consumed, Printable(body) + ": expected the error at byte " + errorAt + ", got " + result.Consumed);
        }

        private static void AssertRejected(string body)
        {
            ChunkStatus status = Decode(Latin1(body), Array.Empty<int>()).Status;
            Assert.True(status == ChunkStatus.Error, "a long body: expected Error, got " + status);
        }

        private static Result DecodeAtEveryCut(string body) => DecodeAtEveryCut(Latin1(body));

        /// <summary>Decodes whole, cut in two at every offset, and byte by byte; all must agree, and the whole result is returned.</summary>
        private static Result DecodeAtEveryCut(byte[] input)
        {
            Result whole = Decode(input, Array.Empty<int>());
            for (int cut = 1; cut < input.Length; cut++)
            {
                AssertSame(whole, Decode(input, new[] { cut }), "cut at " + cut);
            }

            var everyByte = new int[Math.Max(0, input.Length - 1)];
            for (int i = 0; i < everyByte.Length; i++)
            {
                everyByte[i] = i + 1;
            }

            AssertSame(whole, Decode(input, everyByte), "byte by byte");
            return whole;

            void AssertSame(Result expected, Result actual, string how)
                => Assert.True(expected == actual, Printable(Encoding.Latin1.GetString(input)) + " " + how + ": " + actual + " instead of " + expected);
        }

        /// <summary>
        /// Feeds <paramref name="input"/> as the connection does: the pieces arrive one by one (cut at
        /// <paramref name="cuts"/>), bytes the decoder did not consume stay in front of the next piece.
        /// </summary>
        private static Result Decode(byte[] input, IReadOnlyList<int> cuts)
        {
            var decoder = new ChunkedDecoder();
            var data = new List<byte>();
            var pending = new List<byte>();
            int consumed = 0;
            int from = 0;
            for (int piece = 0; piece <= cuts.Count; piece++)
            {
                int to = piece < cuts.Count ? cuts[piece] : input.Length;
                pending.AddRange(input.AsSpan(from, to - from).ToArray());
                from = to;
                while (true)
                {
                    byte[] buffer = pending.ToArray();
                    ChunkStatus status = decoder.Decode(buffer, out int used, out int dataStart, out int dataLength);
                    Assert.InRange(used, 0, buffer.Length);
                    data.AddRange(buffer.AsSpan(dataStart, dataLength).ToArray());
                    pending.RemoveRange(0, used);
                    consumed += used;
                    if (status is ChunkStatus.Done or ChunkStatus.Error)
                    {
                        return new Result(status, Encoding.Latin1.GetString(data.ToArray()), consumed);
                    }

                    if (status == ChunkStatus.NeedMore)
                    {
                        Assert.Empty(pending); // NeedMore means everything given was framing, taken
                        break;
                    }
                }
            }

            return new Result(ChunkStatus.NeedMore, Encoding.Latin1.GetString(data.ToArray()), consumed);
        }

        private static byte[] Latin1(string text) => Encoding.Latin1.GetBytes(text);

        private static string Printable(string text)
        {
            var s = new StringBuilder();
            foreach (char c in text)
            {
                s.Append(c >= 0x20 && c < 0x7F ? c.ToString() : "\\x" + ((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }

            return s.ToString();
        }

        private readonly record struct Result(ChunkStatus Status, string Data, int Consumed);
    }
}
