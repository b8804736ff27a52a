using System;
using System.Collections.Generic;
using System.Text;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>A raw query split into name[=value] pairs, left percent-encoded for KeyDecoder.</summary>
    public sealed class QueryParametersTests
    {
        [Theory]
        [InlineData("", "")]
        [InlineData("prefix=a&after=k&limit=10", "prefix=a|after=k|limit=10")]
        [InlineData("ttl=60", "ttl=60")]
        [InlineData("a", "a")] // no '=': no value
        [InlineData("a=", "a=")] // an empty value
        [InlineData("=v", "=v")] // an empty name
        [InlineData("=", "=")]
        [InlineData("a=1=2", "a=1=2")] // split at the first '='
        [InlineData("a=1&&b=2&", "a=1|b=2")] // empty pairs are skipped
        [InlineData("&&&", "")]
        [InlineData("prefix=a%2Fb%26c&after=%00", "prefix=a%2Fb%26c|after=%00")] // still encoded
        [InlineData("q=a+b", "q=a+b")] // '+' is not a space outside HTML forms
        [InlineData("a=1?b=/2;c", "a=1?b=/2;c")]
        [InlineData("limit=1&limit=2", "limit=1|limit=2")] // repeats are the caller's to judge
        public void SplitsOnAmpersandsThenTheFirstEquals(string query, string expected)
        {
            var pairs = new List<string>();
            foreach (QueryParameter parameter in new QueryParameters(Encoding.ASCII.GetBytes(query)))
            {
                pairs.Add(Encoding.ASCII.GetString(parameter.Name) + (parameter.HasValue ? "=" + Encoding.ASCII.GetString(parameter.Value) : string.Empty));
                Assert.True(parameter.HasValue || parameter.Value.IsEmpty);
            }

            Assert.Equal(expected, string.Join("|", pairs));
        }

        [Fact]
        public void ValuesDecodeWithTheKeyDecoder()
        {
            byte[] request = Encoding.ASCII.GetBytes("GET /?prefix=a%2Fb%20%C3%A9&limit=5 HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(request, new HttpLimits(), out RequestHead head, out _, out _));
            var parameters = new QueryParameters(request.AsSpan(head.QueryOffset, head.QueryLength));
            Assert.True(parameters.MoveNext());
            Assert.True(parameters.Current.Name.SequenceEqual("prefix"u8));
            ReadOnlySpan<byte> encoded = parameters.Current.Value;
            byte[] decoded = new byte[KeyDecoder.DecodedLength(encoded)];
            KeyDecoder.Decode(encoded, decoded);
            Assert.Equal("a/b \u00e9", Encoding.UTF8.GetString(decoded));
            Assert.True(parameters.MoveNext());
            Assert.True(parameters.Current.Value.SequenceEqual("5"u8));
            Assert.False(parameters.MoveNext());
            Assert.False(parameters.MoveNext());
        }

        [Fact]
        public void SplittingAllocatesNothing()
        {
            // Checked per run: Allocations.Of runs the body a number of times that depends on what it sees.
            int lastRun = 0;
            Assert.Equal(0, Allocations.Of(() =>
            {
                int total = 0;
                foreach (QueryParameter parameter in new QueryParameters("prefix=a&after=b&&limit=10&x"u8))
                {
                    total += parameter.Name.Length + parameter.Value.Length;
                }

                lastRun = total;
            }));
            Assert.Equal(21, lastRun);
        }
    }
}
