using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using EmbedKv.Runtime.Descriptors;
using EmbedKv.Runtime.Events;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>
    /// The descriptor limit (prlimit64), the count of open descriptors, and the reserve descriptor. They
    /// run alone: other tests opening and closing descriptors meanwhile would blur the counts.
    /// </summary>
    [Collection(DescriptorTests.Alone)]
    public sealed class DescriptorTests
    {
        public const string Alone = "descriptor counts";

        [Fact]
        public void TheLimitIsWhatProcSelfLimitsShows()
        {
            DescriptorLimit limit = DescriptorLimit.Current();
            (ulong soft, ulong hard) = ProcLimits();
            Assert.Equal(soft, limit.Soft);
            Assert.Equal(hard, limit.Hard);
            Assert.True(limit.Soft <= limit.Hard);
        }

        [Fact]
        public void RaisingTheSoftLimitTakesItToTheHardOne()
        {
            DescriptorLimit original = DescriptorLimit.Current();
            ulong lowered = original.Hard - 1;
            Assert.True(lowered > (ulong)OpenDescriptors.Count() + 100, "the hard limit " + original.Hard + " is too low to test with");
            try
            {
                // Any process may lower its soft limit and raise it again up to the hard one.
                DescriptorLimit.Set(original with { Soft = lowered });
                Assert.Equal(new DescriptorLimit(lowered, original.Hard), DescriptorLimit.Current());

                DescriptorLimit raised = DescriptorLimit.RaiseSoftToHard();

                Assert.Equal(new DescriptorLimit(original.Hard, original.Hard), raised);
                Assert.Equal(raised, DescriptorLimit.Current());
                Assert.Equal((original.Hard, original.Hard), ProcLimits());
                Assert.Equal(raised, DescriptorLimit.RaiseSoftToHard()); // nothing left to raise
            }
            finally
            {
                DescriptorLimit.Set(original);
            }
        }

        [Fact]
        public void ASoftLimitAboveTheHardOneIsRefused()
        {
            DescriptorLimit current = DescriptorLimit.Current();
            SyscallException error = Assert.Throws<SyscallException>(() => DescriptorLimit.Set(current with { Soft = current.Hard + 1 }));
            Assert.Equal(Sys.EINVAL, error.Errno.Value);
            Assert.Equal(current, DescriptorLimit.Current());
        }

        [Fact]
        public void TheCountFollowsDescriptorsOpenedAndClosed()
        {
            int before = OpenDescriptors.Count();
            Assert.InRange(before, 3, Directory.GetFileSystemEntries("/proc/self/fd").Length);

            var opened = new List<EventFd>();
            for (int i = 0; i < 20; i++)
            {
                opened.Add(EventFd.Create());
            }

            int during = OpenDescriptors.Count();
            opened.ForEach(e => e.Dispose());
            int after = OpenDescriptors.Count();

            // Exact but for a descriptor the runtime may open or close on its own meanwhile.
            Assert.InRange(during - before, 19, 21);
            Assert.InRange(after - before, -1, 1);
        }

        [Fact]
        public void TheReserveIsGivenUpAndTakenBack()
        {
            using ReserveDescriptor reserve = ReserveDescriptor.Open();
            Assert.True(reserve.IsHeld);
            int held = OpenDescriptors.Count();

            reserve.Release();
            Assert.False(reserve.IsHeld);
            Assert.InRange(OpenDescriptors.Count(), held - 2, held - 1);
            reserve.Release(); // twice is harmless

            Assert.True(reserve.TryRetake());
            Assert.True(reserve.IsHeld);
            Assert.True(reserve.TryRetake()); // held already: nothing opened
            Assert.InRange(OpenDescriptors.Count(), held - 1, held + 1);

            reserve.Dispose();
            Assert.False(reserve.IsHeld);
        }

        private static (ulong Soft, ulong Hard) ProcLimits()
        {
            // "Max open files            1024                 524288               files"
            string line = File.ReadAllLines("/proc/self/limits").Single(l => l.StartsWith("Max open files", StringComparison.Ordinal));
            string[] fields = line.Substring("Max open files".Length).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return (ulong.Parse(fields[0], CultureInfo.InvariantCulture), ulong.Parse(fields[1], CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Runs <see cref="DescriptorTests"/> apart from every other test.</summary>
    [CollectionDefinition(DescriptorTests.Alone, DisableParallelization = true)]
    public sealed class DescriptorTestsCollection
    {
    }
}
