using System;

namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>
    /// When a connection is closed for making no progress (monotonic milliseconds): each phase of an
    /// exchange has its own limit, named here once rather than added at each place a phase begins. A struct
    /// inside its <see cref="RequestCycle"/>: every idle connection carries one, so it costs no object.
    /// </summary>
    internal struct ExchangeDeadline
    {
        // Longest lingering close (see Http1Exchange.StartLinger).
        private const long LingerMilliseconds = 5000;

        private readonly HttpLimits _limits;

        public ExchangeDeadline(HttpLimits limits) => _limits = limits;

        public long At { get; private set; }

        public readonly bool Passed(long now) => now >= At;

        /// <summary>A request's head must be whole within HeaderTimeout of its first byte (slowloris).</summary>
        public void AwaitHead(long now) => At = now + Milliseconds(_limits.HeaderTimeout);

        /// <summary>A body coming in, or an answer going out, must progress within BodyTimeout.</summary>
        public void AwaitProgress(long now) => At = now + Milliseconds(_limits.BodyTimeout);

        /// <summary>A keep-alive connection with nothing to do is kept IdleTimeout from its last answer.</summary>
        public void AwaitIdle(long now) => At = now + Milliseconds(_limits.IdleTimeout);

        /// <summary>A lingering close drains for 5 s, or BodyTimeout if shorter.</summary>
        public void AwaitLingerEnd(long now) => At = now + Math.Min(LingerMilliseconds, Milliseconds(_limits.BodyTimeout));

        private static long Milliseconds(TimeSpan timeout) => (long)timeout.TotalMilliseconds;
    }
}
