using System;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Watch;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// A GET that waits for its key to change (<c>Prefer: wait</c>, docs/api.md "Long-poll"): what its
    /// handler needs to answer it later, kept while the connection's exchange and block go back to the
    /// loop. That is the key, the request's conditions (the handler's <see cref="RequestConditions"/>,
    /// swapped for this one's spare, so nothing is copied), and the state it saw: the version (0 for
    /// absent) and when that value expires. A few hundred bytes, where an exchange with its block is
    /// over 16 KiB; reused by the loop for later waits.
    /// </summary>
    internal sealed class ReadWait
    {
        private byte[] _key = Array.Empty<byte>();

        public int KeyLength { get; private set; }

        public ReadOnlySpan<byte> Key => _key.AsSpan(0, KeyLength);

        /// <summary>The key's <see cref="WatchHash"/>: what the store's change feed names it by.</summary>
        public ulong Hash { get; private set; }

        /// <summary>The version the read saw, 0 if the key was absent.</summary>
        public ulong Seen { get; private set; }

        /// <summary>When the value it saw expires (Unix seconds), or 0: it must wake then, the key being absent from that second.</summary>
        public uint Expires { get; private set; }

        /// <summary>The last write applied when the wait last looked at its key (<see cref="LookAgain"/>): a reported change at or below it was seen.</summary>
        public ulong Since { get; private set; }

        /// <summary>How long it may wait, in milliseconds (Prefer's wait, at most <see cref="KvHandler.MaxWaitSeconds"/>).</summary>
        public long WaitMilliseconds { get; private set; }

        /// <summary>The request's conditions while it waits; a spare while it does not.</summary>
        public RequestConditions Conditions { get; private set; } = new RequestConditions();

        /// <summary>Takes over a read's key and conditions (the handler gets this one's spare conditions in return).</summary>
        public void Hold(ReadOnlySpan<byte> key, ref RequestConditions conditions, ulong seen, uint expires, long waitMilliseconds)
        {
            if (_key.Length < key.Length)
            {
                // Kept for later waits: a size for the longest key this record has held, in steps of 64.
                _key = new byte[(key.Length + 63) & ~63];
            }

            key.CopyTo(_key);
            KeyLength = key.Length;
            Hash = WatchHash.Of(key);
            Seen = seen;
            Since = 0;
            Expires = expires;
            WaitMilliseconds = waitMilliseconds;
            (Conditions, conditions) = (conditions, Conditions);
        }

        /// <summary>Gives the read back to a handler: its conditions (for the handler's spare) and its key, copied into <paramref name="keyArea"/>.</summary>
        public int Release(ref RequestConditions conditions, Span<byte> keyArea)
        {
            (Conditions, conditions) = (conditions, Conditions);
            Key.CopyTo(keyArea);
            return KeyLength;
        }

        /// <summary>
        /// Looks at the key again, once the wait is watched: whether a reader would see another state now than
        /// the read saw. If not, the changes reported from here on that are newer than this look end the wait.
        /// </summary>
        public bool LookAgain(KvStore store)
        {
            bool changed = store.VersionNow(Key, out _, out ulong applied) != Seen;
            Since = applied;
            return changed;
        }
    }
}
