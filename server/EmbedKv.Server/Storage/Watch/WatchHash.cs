using System;

namespace EmbedKv.Server.Storage.Watch
{
    /// <summary>
    /// The 64-bit hash a watch is known by: the index's keyed 32-bit hash (<see cref="Index.KeyHash"/>)
    /// beside xxHash32 under its own random seed (<see cref="HashCode"/>). A change is delivered by hash
    /// alone, so that no key is copied per write; two keys of one hash would wake each other's waiters
    /// early, and with 64 random bits that takes about 2^32 watched keys for one such pair.
    /// </summary>
    internal static class WatchHash
    {
        public static ulong Of(ReadOnlySpan<byte> key)
        {
            var second = default(HashCode);
            second.AddBytes(key);
            return ((ulong)Index.KeyHash.Compute(key) << 32) | (uint)second.ToHashCode();
        }
    }
}
