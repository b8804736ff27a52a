using System;
using System.Collections.Generic;
using System.Linq;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.Checkpoints
{
    /// <summary>
    /// Every acknowledged write with its version, from any thread: what a checkpoint at sequence S must hold is,
    /// per key, exactly the last write at or below S (absent if that was a delete or has expired, or if none was).
    /// </summary>
    internal sealed class WriteHistory
    {
        private readonly List<(string Key, ulong Version, byte[]? Value, bool Expires)> _writes = new List<(string, ulong, byte[]?, bool)>();

        public int Count
        {
            get
            {
                lock (_writes)
                {
                    return _writes.Count;
                }
            }
        }

        public void Add(string key, ulong version, byte[]? value, bool expires = false)
        {
            Assert.NotEqual(0UL, version);
            lock (_writes)
            {
                _writes.Add((key, version, value, expires));
            }
        }

        /// <summary>Checks the store opened on a checkpoint; <paramref name="expired"/>: its clock is past every expiry.</summary>
        public void AssertCheckpoint(KvStore checkpoint, ulong sequence, string when, bool expired = false)
        {
            Dictionary<string, (ulong Version, byte[]? Value, bool Expires)> expected;
            HashSet<string> keys;
            lock (_writes)
            {
                keys = _writes.Select(w => w.Key).ToHashSet(StringComparer.Ordinal);
                expected = _writes.Where(w => w.Version <= sequence)
                    .GroupBy(w => w.Key, StringComparer.Ordinal)
                    .ToDictionary(g => g.Key, g => g.OrderBy(w => w.Version).Select(w => (w.Version, w.Value, w.Expires)).Last(), StringComparer.Ordinal);
            }

            foreach (string key in keys)
            {
                byte[]? actual = checkpoint.Get(StoreModel.Bytes(key), out ValueInfo info);
                bool present = expected.TryGetValue(key, out var write) && write.Value is not null && !(expired && write.Expires);
                if (!present)
                {
                    Assert.True(actual is null, when + ": " + key + " should be absent at sequence " + sequence + " but holds version " + info.Version);
                    continue;
                }

                Assert.True(actual is not null, when + ": " + key + " is missing; at sequence " + sequence + " it held version " + write.Version);
                Assert.True(info.Version == write.Version, when + ": " + key + " holds version " + info.Version + ", not " + write.Version + " (the last at or below " + sequence + ")");
                Assert.True(actual.AsSpan().SequenceEqual(write.Value), when + ": " + key + " version " + write.Version + " holds other bytes");
                Assert.Equal(write.Expires, info.Expires is not null);
            }

            foreach ((byte[] key, ValueInfo info) in checkpoint.EnumerateKeys(Array.Empty<byte>()))
            {
                Assert.True(info.Version <= sequence, when + ": " + System.Text.Encoding.UTF8.GetString(key) + " holds version " + info.Version + ", after the point " + sequence);
            }
        }
    }
}
