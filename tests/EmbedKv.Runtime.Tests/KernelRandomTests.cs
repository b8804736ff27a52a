using System;
using System.Collections.Generic;
using System.Linq;
using EmbedKv.Runtime.Entropy;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>getrandom through the stub page: bytes that fill the whole buffer and do not repeat.</summary>
    public sealed class KernelRandomTests
    {
        [Fact]
        public void FillsEveryByteOfBuffersLargerThanOneCallReturns()
        {
            // Past 256 bytes getrandom may return short; the loop must still fill the rest.
            byte[] buffer = new byte[64 * 1024];
            KernelRandom.Fill(buffer);
            int[] counts = new int[256];
            foreach (byte b in buffer)
            {
                counts[b]++;
            }

            // 256 values over 64 KiB: each about 256 times; a zero-filled tail would make 0 dominate.
            Assert.All(counts, count => Assert.InRange(count, 128, 512));
        }

        [Fact]
        public void SixtyFourBitValuesAreNonZeroAndDistinct()
        {
            var seen = new HashSet<ulong>();
            for (int i = 0; i < 1000; i++)
            {
                ulong value = KernelRandom.NextNonZeroUInt64();
                Assert.NotEqual(0UL, value);
                Assert.True(seen.Add(value));
            }

            Assert.True(seen.Count(v => (v >> 63) == 1) is > 400 and < 600, "the high bit is not random");
        }

        [Fact]
        public void AnEmptyBufferIsFine() => KernelRandom.Fill(Span<byte>.Empty);
    }
}
