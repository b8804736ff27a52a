using System;
using System.IO;
using System.Linq;
using System.Runtime.CompilerServices;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Memory;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>NativeRegion: anonymous mmap memory off the GC heap.</summary>
    public sealed unsafe class NativeRegionTests
    {
        private static readonly nuint Page = (nuint)Environment.SystemPageSize;

        [Fact]
        public void AllocateRoundsUpToAPageOfZeros()
        {
            using var region = NativeRegion.Allocate(100);
            Assert.Equal(Page, region.Length);
            Assert.Equal(0, (long)region.Pointer % (long)Page);
            Assert.True(region.AsSpan().IndexOfAnyExcept((byte)0) < 0);

            region.AsSpan().Fill(0xAB);
            Assert.Equal(0xAB, region.Pointer[Page - 1]);
        }

        [Fact]
        public void GrowKeepsTheContentsAndZeroFillsTheRest()
        {
            using var region = NativeRegion.Allocate(3 * Page);
            for (nuint i = 0; i < region.Length; i++)
            {
                region.Pointer[i] = (byte)(i * 7);
            }

            region.Grow(64 << 20);
            Assert.Equal((nuint)(64 << 20), region.Length);
            for (nuint i = 0; i < 3 * Page; i++)
            {
                Assert.Equal((byte)(i * 7), region.Pointer[i]);
            }

            Assert.True(region.AsSpan(3 * Page, (64 << 20) - (3 * (int)Page)).IndexOfAnyExcept((byte)0) < 0);

            // The grown part is writable, and a grow within the current pages changes nothing.
            region.Pointer[region.Length - 1] = 1;
            byte* pointer = region.Pointer;
            region.Grow(region.Length);
            Assert.True(pointer == region.Pointer);
            Assert.Throws<ArgumentOutOfRangeException>(() => region.Grow(region.Length - 1));

            // A byte more takes a whole page more.
            region.Grow(region.Length + 1);
            Assert.Equal((nuint)(64 << 20) + Page, region.Length);
            Assert.Equal(1, region.Pointer[(64 << 20) - 1]);
        }

        [Fact]
        public void DisposeTwiceIsFineAndUseAfterDisposeThrows()
        {
            var region = NativeRegion.Allocate(Page);
            region.Dispose();
            region.Dispose();
            Assert.True(region.IsDisposed);
            Assert.Throws<ObjectDisposedException>(() => (nint)region.Pointer);
            Assert.Throws<ObjectDisposedException>(() => region.AsSpan());
            Assert.Throws<ObjectDisposedException>(() => region.Grow(2 * Page));
        }

        [Fact]
        public void DisposeUnmaps()
        {
            var region = NativeRegion.Allocate(13 * Page);
            nint address = (nint)region.Pointer;
            Assert.Equal(0, (int)Sys.Madvise((void*)address, 13 * Page, Sys.MADV_NORMAL));
            region.Dispose();

            // madvise fails with ENOMEM on addresses that are not mapped.
            Assert.Equal(-Sys.ENOMEM, (int)Sys.Madvise((void*)address, 13 * Page, Sys.MADV_NORMAL));
        }

        [Fact]
        public void TheFinalizerUnmapsARegionNobodyDisposed()
        {
            nint address = AllocateAndDrop(11 * Page);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            Assert.Equal(-Sys.ENOMEM, (int)Sys.Madvise((void*)address, 11 * Page, Sys.MADV_NORMAL));
        }

        [Fact]
        public void SpansAreBoundsChecked()
        {
            using var region = NativeRegion.Allocate(2 * Page);
            Span<long> longs = region.AsSpan<long>(8, (int)(2 * Page / 8) - 1);
            longs[^1] = -1;
            Assert.Equal(-1L, *(long*)(region.Pointer + region.Length - 8));

            Assert.Throws<ArgumentOutOfRangeException>(() => region.AsSpan<long>(16, (int)(2 * Page / 8) - 1));
            Assert.Throws<ArgumentOutOfRangeException>(() => region.AsSpan(2 * Page + 1, 0));
            Assert.Throws<ArgumentOutOfRangeException>(() => region.AsSpan(0, -1));
            Assert.Equal(0, region.AsSpan(2 * Page, 0).Length);
        }

        [Fact]
        public void BadSizesAreRejected()
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => NativeRegion.Allocate(0));
            Assert.Throws<ArgumentOutOfRangeException>(() => NativeRegion.Allocate(nuint.MaxValue));
        }

        [Fact]
        public void MoreThanTheAddressSpaceIsOutOfMemoryWithTheErrno()
        {
            // mmap places mappings below 128 TiB unless asked for higher addresses (even with 5-level
            // paging), so a pebibyte cannot be mapped.
            var error = Assert.Throws<OutOfMemoryException>(() => NativeRegion.Allocate((nuint)1 << 50));
            Assert.Equal("mmap " + ((nuint)1 << 50) + " bytes: ENOMEM (Cannot allocate memory)", error.Message);

            // mremap says EINVAL for the same size; NativeRegion reports it as running out of memory too.
            using var region = NativeRegion.Allocate(Page);
            region.Pointer[0] = 42;
            var grow = Assert.Throws<OutOfMemoryException>(() => region.Grow((nuint)1 << 50));
            Assert.StartsWith("mremap " + ((nuint)1 << 50) + " bytes: ", grow.Message, StringComparison.Ordinal);
            Assert.Equal(Page, region.Length);
            Assert.Equal(42, region.Pointer[0]);
        }

        [Fact]
        public void ALargeRegionIsResidentOnlyWhereTouched()
        {
            long before = ResidentBytes();
            using var region = NativeRegion.Allocate(1 << 30);
            region.Pointer[0] = 1;
            region.Pointer[region.Length - 1] = 1;
            long grown = ResidentBytes() - before;

            // Two touched pages, plus whatever the rest of the process did meanwhile; nowhere near 1 GiB.
            Assert.True(grown < 128 << 20, "resident set grew by " + grown + " bytes");
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        private static nint AllocateAndDrop(nuint bytes) => (nint)NativeRegion.Allocate(bytes).Pointer;

        private static long ResidentBytes()
        {
            string line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }
}
