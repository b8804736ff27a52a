using System;
using System.Text;
using EmbedKv.Server.Http.Conditions;

namespace EmbedKv.Server.Tests.Http.Conditions
{
    /// <summary>Content-Range values (RFC 9110 §14.4), written into a span.</summary>
    public sealed class ContentRangeTests
    {
        /// <summary>RFC 9110 §14.4's examples, and the edges.</summary>
        [Theory]
        [InlineData(42, 1192, 1234, "bytes 42-1233/1234")]
        [InlineData(0, 500, 10_000, "bytes 0-499/10000")]
        [InlineData(9500, 500, 10_000, "bytes 9500-9999/10000")]
        [InlineData(0, 1, 1, "bytes 0-0/1")]
        [InlineData(0, long.MaxValue, long.MaxValue, "bytes 0-9223372036854775806/9223372036854775807")]
        [InlineData(long.MaxValue - 1, 1, long.MaxValue, "bytes 9223372036854775806-9223372036854775806/9223372036854775807")]
        public void WritesTheRangeServed(long start, long count, long length, string expected)
        {
            byte[] destination = new byte[ContentRange.MaxLength];
            int written = ContentRange.Write(start, count, length, destination);
            Assert.Equal(expected, Encoding.ASCII.GetString(destination, 0, written));
        }

        [Theory]
        [InlineData(1234, "bytes */1234")]
        [InlineData(0, "bytes */0")]
        [InlineData(long.MaxValue, "bytes */9223372036854775807")]
        public void WritesTheUnsatisfiedForm(long length, string expected)
        {
            byte[] destination = new byte[ContentRange.MaxLength];
            int written = ContentRange.WriteUnsatisfied(length, destination);
            Assert.Equal(expected, Encoding.ASCII.GetString(destination, 0, written));
        }

        [Fact]
        public void TheLongestValueFitsMaxLengthExactly()
        {
            byte[] destination = new byte[ContentRange.MaxLength];
            Assert.Equal(ContentRange.MaxLength, ContentRange.Write(long.MaxValue - 1, 1, long.MaxValue, destination));
            Assert.Throws<ArgumentException>(() => ContentRange.Write(long.MaxValue - 1, 1, long.MaxValue, new byte[ContentRange.MaxLength - 1]));
            Assert.Throws<ArgumentException>(() => ContentRange.WriteUnsatisfied(1234, new byte[11]));
            Assert.Equal(12, ContentRange.WriteUnsatisfied(1234, new byte[12]));
        }

        [Theory]
        [InlineData(0, 0, 10)]
        [InlineData(-1, 1, 10)]
        [InlineData(10, 1, 10)]
        [InlineData(5, 6, 10)]
        [InlineData(0, 1, 0)]
        [InlineData(1, long.MaxValue, long.MaxValue)]
        public void ARangeOutsideTheValueIsABug(long start, long count, long length)
            => Assert.Throws<ArgumentException>(() => ContentRange.Write(start, count, length, new byte[ContentRange.MaxLength]));

        [Fact]
        public void WritingAllocatesNothing()
        {
            byte[] destination = new byte[ContentRange.MaxLength];
            long i = 0;
            Assert.Equal(0, Allocations.Of(() =>
            {
                i++;
                ContentRange.Write(i, 1, i + 1, destination);
                ContentRange.WriteUnsatisfied(i, destination);
            }));
        }
    }
}
