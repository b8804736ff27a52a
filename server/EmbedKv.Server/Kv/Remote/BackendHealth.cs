using System;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Kv.Remote
{
    /// <summary>
    /// A remote backend's failures, shared by every loop: counted for the meter (embedkv.backend.failures) and
    /// logged at most once per <see cref="QuietMilliseconds"/> for each kind, with how many went unlogged in
    /// between, so that a cluster out of reach under load is a few lines a minute rather than one per request,
    /// and an operator still sees when it started, how bad it is, and (event 142) when it ended: at the first
    /// answer after a quiet period without failures, so that a backend failing every other request (a partial
    /// outage) is still a few lines, not two per failure. A request answered normally costs one volatile read
    /// here; only failures, and answers while failures are recent, lock.
    /// </summary>
    internal sealed class BackendHealth
    {
        /// <summary>The least time between two messages of one kind.</summary>
        public const long QuietMilliseconds = 5000;

        private readonly ILogger _logger;
        private readonly string _backend;
        private readonly object _gate = new object();
        private readonly Kind _unavailable = new Kind();
        private readonly Kind _refused = new Kind();
        private long _unavailableCount;
        private long _refusedCount;
        private long _unansweredStreak;
        private long _lastFailureAt;
        private volatile bool _failing;

        public BackendHealth(ILogger logger, string backend)
        {
            _logger = logger;
            _backend = backend;
        }

        /// <summary>Requests answered 503 because the backend did not answer in time.</summary>
        public long UnavailableCount => Volatile.Read(ref _unavailableCount);

        /// <summary>Requests answered 500 because the backend refused them.</summary>
        public long RefusedCount => Volatile.Read(ref _refusedCount);

        /// <summary>A request the backend did not answer (503).</summary>
        /// <param name="reason">The backend's reason.</param>
        /// <param name="now">Milliseconds on a monotonic clock (Environment.TickCount64).</param>
        public void Unavailable(string reason, long now)
        {
            Interlocked.Increment(ref _unavailableCount);
            long suppressed;
            lock (_gate)
            {
                _unansweredStreak++;
                _lastFailureAt = now;
                _failing = true;
                if (!_unavailable.MayLog(now, out suppressed))
                {
                    return;
                }
            }

            BackendLog.Unavailable(_logger, _backend, reason, suppressed);
        }

        /// <summary>A request the backend refused (500): a fault to look into, not an outage.</summary>
        /// <param name="reason">The backend's reason.</param>
        /// <param name="now">Milliseconds on a monotonic clock.</param>
        public void Refused(string reason, long now)
        {
            Interlocked.Increment(ref _refusedCount);
            long suppressed;
            lock (_gate)
            {
                if (!_refused.MayLog(now, out suppressed))
                {
                    return;
                }
            }

            BackendLog.Refused(_logger, _backend, reason, suppressed);
        }

        /// <summary>A request the backend answered: once failures are a quiet period old, says once that it answers again.</summary>
        public void Answered()
        {
            if (_failing)
            {
                Answered(Environment.TickCount64);
            }
        }

        /// <summary>As <see cref="Answered()"/>, at <paramref name="now"/> (milliseconds on a monotonic clock).</summary>
        internal void Answered(long now)
        {
            long unanswered;
            lock (_gate)
            {
                if (!_failing || now - _lastFailureAt < QuietMilliseconds)
                {
                    return; // healthy, or failures too recent to call it over
                }

                _failing = false;
                unanswered = _unansweredStreak;
                _unansweredStreak = 0;
            }

            BackendLog.AnswersAgain(_logger, _backend, unanswered);
        }

        /// <summary>One kind of message's rate limit: when it was last logged, and how many were not since.</summary>
        private sealed class Kind
        {
            private long _loggedAt = long.MinValue;
            private long _suppressed;

            public bool MayLog(long now, out long suppressed)
            {
                if (_loggedAt != long.MinValue && now - _loggedAt < QuietMilliseconds)
                {
                    _suppressed++;
                    suppressed = 0;
                    return false;
                }

                suppressed = _suppressed;
                _suppressed = 0;
                _loggedAt = now;
                return true;
            }
        }
    }
}
