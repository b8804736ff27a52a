using System;
using System.Collections.Generic;
using System.Linq;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>
    /// What a store may hold, from the writes it was given and what it answered. Each key has a known
    /// state (its value, or absent) as of the last check, then the writes made since, in the order the
    /// store gave them sequence numbers. A read may return the latest acknowledged write, or any write
    /// given a sequence after it that was not acknowledged (still in flight, failed, or cut off by a
    /// crash): its bytes may or may not have reached the disk, and the highest sequence wins. Nothing else
    /// is allowed: not an older value (a lost write or a deleted key come back), not unknown bytes. A put
    /// that has expired by the simulated clock stands for "absent", as the store must show it.
    /// </summary>
    internal sealed class AcknowledgedModel
    {
        private readonly Dictionary<string, KeyHistory> _keys = new Dictionary<string, KeyHistory>(StringComparer.Ordinal);
        private readonly Func<long> _now;
        private long _nextOrder;

        /// <param name="now">The simulated clock, in Unix seconds, by which expiry is judged.</param>
        public AcknowledgedModel(Func<long> now) => _now = now;

        public IEnumerable<string> Keys => _keys.Keys;

        /// <summary>A write the store took and gave the next sequence number (a put expiring at <paramref name="expires"/>, Unix seconds, 0: never).</summary>
        public Write Sequenced(string key, int id, byte[]? value, uint expires = 0)
        {
            var write = new Write(key, id, value, ++_nextOrder, expires);
            History(key).Writes.Add(write);
            return write;
        }

        /// <summary>Takes back a write the store did not make after all (a DELETE of a key it did not hold).</summary>
        public void Withdraw(Write write) => History(write.Key).Writes.Remove(write);

        /// <summary>
        /// The values a read of <paramref name="key"/> may return now (null stands for "absent").
        /// </summary>
        public IReadOnlyList<Write?> Allowed(string key)
        {
            KeyHistory history = History(key);
            Write? acknowledged = history.Writes.Where(w => w.Acknowledged).OrderBy(w => w.Order).LastOrDefault();
            var allowed = new List<Write?>();
            allowed.Add(acknowledged ?? history.Known);
            long after = acknowledged?.Order ?? 0;
            allowed.AddRange(history.Writes.Where(w => !w.Acknowledged && w.Order > after));
            return allowed;
        }

        /// <summary>Whether <paramref name="actual"/> (null: absent) is a value the key may hold now.</summary>
        public bool IsAllowed(string key, byte[]? actual, out string allowedText)
        {
            IReadOnlyList<Write?> allowed = Allowed(key);
            allowedText = string.Join(" or ", allowed.Select(w => w is null ? "absent" : w.ToString() + (IsExpired(w) ? " (expired: absent)" : string.Empty)));
            return allowed.Any(w => Matches(w, actual));
        }

        /// <summary>
        /// After a reopen (or any read that settles the key): the value read is now the known state, and the
        /// writes before it are history. Returns the write that was found, or null for absent.
        /// </summary>
        public void Settle(string key, byte[]? actual)
        {
            KeyHistory history = History(key);
            Write? found = Allowed(key).First(w => Matches(w, actual));
            history.Known = found is null || found.Value is null ? null : found;
            history.Writes.Clear();
        }

        /// <summary>Whether a write of <paramref name="key"/> is still waiting for its answer.</summary>
        public bool HasPending(string key) => History(key).Writes.Any(w => !w.Acknowledged && !w.Failed);

        private bool IsExpired(Write write) => write.Expires != 0 && write.Expires <= _now();

        private bool Matches(Write? write, byte[]? actual)
        {
            byte[]? expected = write is null || IsExpired(write) ? null : write.Value;
            return expected is null ? actual is null : actual is not null && actual.AsSpan().SequenceEqual(expected);
        }

        private KeyHistory History(string key)
        {
            if (!_keys.TryGetValue(key, out KeyHistory? history))
            {
                history = new KeyHistory();
                _keys.Add(key, history);
            }

            return history;
        }

        /// <summary>One put (a value) or delete (null) and what became of it.</summary>
        internal sealed class Write
        {
            public Write(string key, int id, byte[]? value, long order, uint expires)
            {
                Key = key;
                Id = id;
                Value = value;
                Order = order;
                Expires = expires;
            }

            /// <summary>When a put expires (Unix seconds); 0 if never.</summary>
            public uint Expires { get; }

            public string Key { get; }

            public int Id { get; }

            public byte[]? Value { get; }

            /// <summary>Where the store put it in its sequence order.</summary>
            public long Order { get; }

            public bool Acknowledged { get; set; }

            public bool Failed { get; set; }

            public override string ToString() => (Value is null ? "delete#" : "put#") + Id + (Value is null ? string.Empty : "(" + Value.Length + " B" + (Expires == 0 ? ")" : ", expires " + Expires + ")"));
        }

        private sealed class KeyHistory
        {
            /// <summary>The state settled at the last reopen: a put, or null for absent.</summary>
            public Write? Known;

            public readonly List<Write> Writes = new List<Write>();
        }
    }
}
