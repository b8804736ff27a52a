using System;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>The managed bytes a piece of parsing allocates, measured on this thread.</summary>
    internal static class Allocations
    {
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

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                body();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
    }
}
