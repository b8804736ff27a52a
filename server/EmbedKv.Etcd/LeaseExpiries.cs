using System;
using System.Collections.Concurrent;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// When each lease ends, in Unix seconds, so a read of an expiring key needs no second round trip for its
    /// Expires: EmbedKv's leases are never kept alive, so a lease's end does not move once known (except that
    /// etcd extends every lease by an election timeout when the leader changes; docs/etcd.md). Bounded:
    /// past <see cref="Capacity"/> entries, the ended ones are dropped, then all.
    /// </summary>
    internal sealed class LeaseExpiries
    {
        public const int Capacity = 100_000;

        private readonly ConcurrentDictionary<long, long> _ends = new ConcurrentDictionary<long, long>();

        public bool TryGet(long lease, out long expiresAt) => _ends.TryGetValue(lease, out expiresAt);

        public void Remember(long lease, long expiresAt)
        {
            if (_ends.Count >= Capacity)
            {
                Trim();
            }

            _ends[lease] = expiresAt;
        }

        public void Forget(long lease) => _ends.TryRemove(lease, out _);

        private void Trim()
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            foreach (var pair in _ends)
            {
                if (pair.Value < now)
                {
                    _ends.TryRemove(pair.Key, out _);
                }
            }

            if (_ends.Count >= Capacity)
            {
                _ends.Clear();
            }
        }
    }
}
