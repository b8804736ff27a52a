using System.Text;
using EmbedKv.Server.Http.Conditions;

namespace EmbedKv.Server.Tests.Http.Conditions
{
    /// <summary>Range values against a value's length (RFC 9110 §14.1.1, §14.1.2, §14.2).</summary>
    public sealed class ByteRangeTests
    {
        /// <summary>RFC 9110 §14.1.2's examples, on its 10000-byte representation.</summary>
        [Theory]
        [InlineData("bytes=0-499", 0, 500)]
        [InlineData("bytes=500-999", 500, 500)]
        [InlineData("bytes=-500", 9500, 500)]
        [InlineData("bytes=9500-", 9500, 500)]
        public void TheRfcExamplesOfOneRange(string value, long start, long count)
            => AssertPartial(value, 10_000, start, count);

        /// <summary>The RFC's examples of several ranges: valid, but answered with the whole value (§14.2 lets a server ignore Range).</summary>
        [Theory]
        [InlineData("bytes=0-0,-1")]
        [InlineData("bytes= 0-999, 4500-5499, -1000")]
        [InlineData("bytes=500-600,601-999")]
        [InlineData("bytes=500-700,601-999")]
        [InlineData("bytes=200-300,400-500")] // both past the end of 100 bytes below: still ignored, not 416
        [InlineData("bytes=0-1,x")]
        [InlineData("bytes=0-1,\t2-3")]
        public void SeveralRangesAreIgnored(string value)
        {
            Assert.Equal(RangeKind.Ignore, Parse(value, 10_000).Kind);
            Assert.Equal(RangeKind.Ignore, Parse(value, 100).Kind);
        }

        [Theory]
        [InlineData("bytes=0-0", 100, 0, 1)]
        [InlineData("bytes=99-99", 100, 99, 1)]
        [InlineData("bytes=0-99", 100, 0, 100)]
        [InlineData("bytes=0-100", 100, 0, 100)] // last-pos past the end is clamped
        [InlineData("bytes=10-99999", 100, 10, 90)]
        [InlineData("bytes=0-", 100, 0, 100)]
        [InlineData("bytes=99-", 100, 99, 1)]
        [InlineData("bytes=-1", 100, 99, 1)]
        [InlineData("bytes=-100", 100, 0, 100)]
        [InlineData("bytes=-200", 100, 0, 100)] // a suffix longer than the value is the whole value
        [InlineData("bytes=-1", 1, 0, 1)]
        [InlineData("bytes=0-0", 1, 0, 1)]
        [InlineData("Bytes=1-2", 100, 1, 2)] // the unit is case-insensitive
        [InlineData("BYTES=1-2", 100, 1, 2)]
        [InlineData("bytes=007-008", 100, 7, 2)]
        [InlineData(" bytes=1-2 ", 100, 1, 2)]
        [InlineData("bytes= 1-2", 100, 1, 2)]
        [InlineData("bytes=,1-2", 100, 1, 2)] // empty list elements (§5.6.1.2)
        [InlineData("bytes=1-2,", 100, 1, 2)]
        [InlineData("bytes= , 1-2 ,\t,", 100, 1, 2)]
        [InlineData("bytes=0-9223372036854775807", 100, 0, 100)]
        [InlineData("bytes=-9223372036854775807", 100, 0, 100)]
        public void OneRangeIsServed(string value, long length, long start, long count)
            => AssertPartial(value, length, start, count);

        [Fact]
        public void RangesOfTheLargestLength()
        {
            AssertPartial("bytes=0-", long.MaxValue, 0, long.MaxValue);
            AssertPartial("bytes=9223372036854775806-", long.MaxValue, long.MaxValue - 1, 1);
            AssertPartial("bytes=-1", long.MaxValue, long.MaxValue - 1, 1);
            AssertPartial("bytes=1-9223372036854775807", long.MaxValue, 1, long.MaxValue - 1);
        }

        [Theory]
        [InlineData("bytes=100-", 100)]
        [InlineData("bytes=100-100", 100)]
        [InlineData("bytes=100-200", 100)]
        [InlineData("bytes=9223372036854775807-", 100)]
        [InlineData("bytes=0-", 0)]
        [InlineData("bytes=0-0", 0)]
        [InlineData("bytes=-0", 100)] // a suffix of zero bytes is never satisfiable
        [InlineData("bytes=-000", 100)]
        [InlineData("bytes=-0", 0)]
        public void RangesPastTheEndAreUnsatisfiable(string value, long length)
        {
            ByteRange range = Parse(value, length);
            Assert.Equal(RangeKind.Unsatisfiable, range.Kind);
        }

        [Theory]
        [InlineData("")]
        [InlineData("bytes")]
        [InlineData("bytes=")]
        [InlineData("bytes=,")]
        [InlineData("bytes= , ")]
        [InlineData("=0-1")]
        [InlineData("bytes 0-1")]
        [InlineData("bytes =0-1")] // no BWS around "=" in the grammar
        [InlineData("by tes=0-1")]
        [InlineData("items=0-1")] // §14.2: an unknown unit MUST be ignored
        [InlineData("none=0-1")]
        [InlineData("bytes=5-4")] // last-pos before first-pos: invalid (§14.1.2)
        [InlineData("bytes=1")]
        [InlineData("bytes=-")]
        [InlineData("bytes=--1")]
        [InlineData("bytes=1--2")]
        [InlineData("bytes=+1-2")]
        [InlineData("bytes=1-+2")]
        [InlineData("bytes=0x1-2")]
        [InlineData("bytes=a-b")]
        [InlineData("bytes=0 -1")]
        [InlineData("bytes=0- 1")]
        [InlineData("bytes=0-1;q")]
        [InlineData("bytes=0-1=2")]
        [InlineData("bytes=\u00bd-1")]
        [InlineData("bytes=0-9223372036854775808")] // digits past a long: ignored rather than guessed
        [InlineData("bytes=9223372036854775808-")]
        [InlineData("bytes=-9223372036854775808")]
        [InlineData("bytes=-99999999999999999999999")]
        public void WhatCannotBeReadIsIgnored(string value)
        {
            Assert.Equal(RangeKind.Ignore, Parse(value, 100).Kind);
            Assert.Equal(RangeKind.Ignore, Parse(value, 0).Kind);
        }

        /// <summary>Satisfiable by §14.1.2, but it selects no byte, and no Content-Range can say so.</summary>
        [Fact]
        public void ASuffixOfAnEmptyValueIsIgnored()
            => Assert.Equal(RangeKind.Ignore, Parse("bytes=-5", 0).Kind);

        [Fact]
        public void ParsingAllocatesNothing()
            => Assert.Equal(0, Allocations.Of(() =>
            {
                ByteRange.Parse("bytes=0-499"u8, 10_000);
                ByteRange.Parse("bytes= 0-999, 4500-5499, -1000"u8, 10_000);
                ByteRange.Parse("items=1-2"u8, 10_000);
                ByteRange.Parse("bytes=-0"u8, 10_000);
            }));

        private static void AssertPartial(string value, long length, long start, long count)
        {
            ByteRange range = Parse(value, length);
            Assert.Equal(RangeKind.Partial, range.Kind);
            Assert.Equal(start, range.Start);
            Assert.Equal(count, range.Count);
        }

        private static ByteRange Parse(string value, long length) => ByteRange.Parse(Encoding.Latin1.GetBytes(value), length);
    }
}
