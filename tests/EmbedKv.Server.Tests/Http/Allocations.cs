using System;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>How much a piece of code allocates on the GC heap per run, in steady state.</summary>
    internal static class Allocations
    {
        // Windows measured; the least counts. A cost paid per run shows in every window; what shows in one
        // only is the runtime's one-off work on this thread (tiering and on-stack replacement compile code
        // late when parallel tests keep the JIT busy), which made these tests fail now and then with a few KiB.
        private const int Windows = 3;

        /// <summary>
        /// What <paramref name="body"/> allocates over 10,000 runs, after 100 unmeasured ones: the first
        /// runs load types and compile code, which is not what the measure is about.
        /// </summary>
        public static long Of(Action body)
        {
            for (int i = 0; i < 100; i++)
            {
                body();
            }

            return InSteadyState(() =>
            {
                for (int i = 0; i < 10_000; i++)
                {
                    body();
                }
            });
        }

        /// <summary>The least any of a few runs of <paramref name="window"/> allocated on this thread.</summary>
        public static long InSteadyState(Action window)
        {
            long least = long.MaxValue;
            for (int i = 0; i < Windows && least > 0; i++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                window();
                least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
            }

            return least;
        }
    }
}
