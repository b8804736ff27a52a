using System;

namespace EmbedKv.Client
{
    /// <summary>
    /// Pauses between tries: exponential with full jitter (a random pause up to the doubled ceiling), so that
    /// many clients that failed together do not try again together.
    /// </summary>
    internal static class Backoff
    {
        public static TimeSpan Delay(int attempt, TimeSpan first, TimeSpan max)
        {
            double ceiling = Math.Min(max.TotalMilliseconds, first.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30)));
            return TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * ceiling);
        }
    }
}
