using System;
using System.Runtime.InteropServices;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// The 32-bit hash of a key. Keys come from clients, so the hash must be keyed: with a fixed hash an
    /// attacker could precompute thousands of keys that share one probe sequence and turn every lookup
    /// into a scan (HashDoS). <see cref="string.GetHashCode(ReadOnlySpan{char})"/> is Marvin, seeded at
    /// random once per process and designed for exactly this; the BCL exposes it only over chars, so the
    /// key's bytes are read as chars.
    /// </summary>
    /// <remarks>
    /// <see cref="HashCode.AddBytes"/> is keyed too, but it is xxHash32, which has no HashDoS claim and
    /// feeds bytes through the accumulator four at a time.
    /// </remarks>
    internal static class KeyHash
    {
        /// <summary>Hashes a key.</summary>
        /// <param name="key">The key's bytes (any length).</param>
        /// <returns>The hash, the same for equal keys within this process, unpredictable across processes.</returns>
        public static uint Compute(ReadOnlySpan<byte> key)
        {
            // Marvin sees the key's bytes in pairs and covers their count. An odd last byte is outside every
            // pair, so it is mixed in with the length through HashCode, which is randomly seeded as well;
            // that also separates "ab" from "ab\0", which Marvin alone would see as the same pairs.
            int hash = string.GetHashCode(MemoryMarshal.Cast<byte, char>(key));
            if ((key.Length & 1) != 0)
            {
                hash = HashCode.Combine(hash, (key.Length << 8) | key[^1]);
            }

            return (uint)hash;
        }
    }
}
