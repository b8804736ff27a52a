using System;
using System.Collections.Concurrent;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// When each lease another client made ends, in Unix seconds, so a read of such a key needs no second round
    /// trip for its Expires (EmbedKv's own leases carry it in their id: <see cref="LeaseIds"/>). A lease's end
    /// does not move once known unless someone keeps it alive, or etcd extends it after a leader change
    /// (docs/etcd.md). Bounded: past <see cref="Capacity"/> entries, the ended ones are dropped, then all.
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
