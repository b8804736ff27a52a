using System;
using System.Collections.Generic;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Kv.Access
{
    /// <summary>
    /// Refused requests, counted for the meter (embedkv.auth.failures) and logged at most once a second per
    /// client address, with how many were left unlogged in between: a client guessing tokens must not be
    /// able to flood the log, and an operator still sees who tries and how often. Shared by every loop;
    /// only refusals come here, so the lock is off the path of requests that are let through.
    /// </summary>
    internal sealed class AccessFailures
    {
        /// <summary>Addresses remembered at most; past it, an address not yet known is counted but not logged until one falls silent.</summary>
        private const int MostAddresses = 4096;

        private const long QuietMilliseconds = 1000;

        private readonly ILogger _logger;
        private readonly Dictionary<string, Recent> _recent = new Dictionary<string, Recent>(StringComparer.Ordinal);
        private long _lastForget;
        private long _missing;
        private long _invalid;
        private long _forbidden;

        public AccessFailures(ILogger logger) => _logger = logger;

        /// <summary>How many times the full table was swept for quiet addresses (for tests: at most once a second).</summary>
        internal int Sweeps { get; private set; }

        /// <summary>Requests without a bearer token (or with another scheme) where one was needed: 401.</summary>
        public long Missing => Volatile.Read(ref _missing);

        /// <summary>Requests whose token is not known, or whose Authorization is malformed: 401, 400.</summary>
        public long Invalid => Volatile.Read(ref _invalid);

        /// <summary>Requests whose token lacks the scope or does not reach the key: 403.</summary>
        public long Forbidden => Volatile.Read(ref _forbidden);

        public void Refused(AccessRefusal refusal, string client, string reason, int status, long now)
        {
            switch (refusal)
            {
                case AccessRefusal.Missing:
                    Interlocked.Increment(ref _missing);
                    break;
                case AccessRefusal.Invalid:
                    Interlocked.Increment(ref _invalid);
                    break;
                default:
                    Interlocked.Increment(ref _forbidden);
                    break;
            }

            if (!_logger.IsEnabled(LogLevel.Warning))
            {
                return;
            }

            long suppressed;
            lock (_recent)
            {
                if (_recent.TryGetValue(client, out Recent recent) && now - recent.LoggedAt < QuietMilliseconds)
                {
                    _recent[client] = recent with { Suppressed = recent.Suppressed + 1 };
                    return;
                }

                if (recent.LoggedAt == 0 && _recent.Count >= MostAddresses)
                {
                    // A full table is swept at most once a second: clients from many addresses (free over
                    // IPv6) must not make every refusal a scan under a lock every loop shares. Until the
                    // sweep, a new address is counted, not logged.
                    if (now - _lastForget < QuietMilliseconds)
                    {
                        return;
                    }

                    _lastForget = now;
                    Sweeps++;
                    if (!Forget(now))
                    {
                        return;
                    }
                }

                suppressed = recent.Suppressed;
                _recent[client] = new Recent(now, 0);
            }

            AccessLog.Refused(_logger, client, reason, status, suppressed);
        }

        /// <summary>Forgets the addresses quiet for a second; false if every one spoke within it.</summary>
        private bool Forget(long now)
        {
            List<string>? quiet = null;
            foreach (KeyValuePair<string, Recent> entry in _recent)
            {
                if (now - entry.Value.LoggedAt >= QuietMilliseconds)
                {
                    (quiet ??= new List<string>()).Add(entry.Key);
                }
            }

            quiet?.ForEach(key => _recent.Remove(key));
            return _recent.Count < MostAddresses;
        }

        private readonly record struct Recent(long LoggedAt, long Suppressed);
    }
}
