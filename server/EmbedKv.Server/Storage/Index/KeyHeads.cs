using System;
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// Key comparison for <see cref="KeyOrder"/>: unsigned byte order, shorter first, with the length of
    /// the common prefix, and the 4-byte "heads" that let most comparisons skip the key bytes.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Prefixes and heads are taken of a key padded with zero bytes without end. Padding preserves the
    /// order, though not strictly: if <c>a &lt; b</c> then <c>pad(a) &lt;= pad(b)</c> (equal only when
    /// <c>b</c> is <c>a</c> followed by zero bytes). So when two padded keys differ, their order is the
    /// keys' order, and when they do not, the full comparison decides. This is what lets a head be read
    /// past a short key's end, and a node's common prefix be longer than one of its keys.
    /// </para>
    /// <para>
    /// A node's keys all share their first <c>skip</c> padded bytes. A key's head is its padded bytes
    /// <c>[skip, skip + 4)</c>, big-endian: for two keys of one node, unequal heads order them as the keys
    /// are ordered, and the first differing bit says how long their common prefix is.
    /// </para>
    /// </remarks>
    internal static class KeyHeads
    {
        /// <summary>The longest common prefix length kept; also "the padded keys are equal".</summary>
        public const int MaxPrefix = ushort.MaxValue;

        /// <summary>A key's padded bytes <c>[skip, skip + 4)</c>, big-endian.</summary>
        /// <param name="key">The key.</param>
        /// <param name="skip">Where the head starts.</param>
        /// <returns>The head.</returns>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Head(ReadOnlySpan<byte> key, int skip)
        {
            if ((uint)skip + 4 <= (uint)key.Length)
            {
                return BinaryPrimitives.ReadUInt32BigEndian(key.Slice(skip));
            }

            return PaddedHead(key, skip);
        }

        /// <summary>A key's padded bytes <c>[8 * depth, 8 * depth + 8)</c>, big-endian: the sort word of the bulk build.</summary>
        /// <param name="key">The key.</param>
        /// <param name="depth">Which 8 bytes.</param>
        /// <returns>The word.</returns>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Word(ReadOnlySpan<byte> key, int depth)
        {
            int start = depth * 8;
            if (start + 8 <= key.Length)
            {
                return BinaryPrimitives.ReadUInt64BigEndian(key.Slice(start));
            }

            return PaddedWord(key, start);
        }

        /// <summary>Compares two keys in unsigned byte order (a key before its extensions), and measures their padded common prefix.</summary>
        /// <param name="a">One key.</param>
        /// <param name="b">The other.</param>
        /// <param name="prefix">How many leading padded bytes they share, at most <see cref="MaxPrefix"/>.</param>
        /// <returns>Negative, zero or positive as <paramref name="a"/> is before, equal to or after <paramref name="b"/>.</returns>
        public static int Compare(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, out int prefix)
        {
            int common = a.CommonPrefixLength(b);
            if (common < a.Length && common < b.Length)
            {
                prefix = Math.Min(common, MaxPrefix);
                return a[common] < b[common] ? -1 : 1;
            }

            if (a.Length == b.Length)
            {
                prefix = MaxPrefix;
                return 0;
            }

            // One is the other's prefix: padded, they go on agreeing while the longer one has zero bytes.
            ReadOnlySpan<byte> rest = (a.Length > b.Length ? a : b).Slice(common);
            int nonZero = rest.IndexOfAnyExcept((byte)0);
            prefix = nonZero < 0 ? MaxPrefix : Math.Min(common + nonZero, MaxPrefix);
            return a.Length < b.Length ? -1 : 1;
        }

        /// <summary>The padded common prefix of two keys whose heads at <paramref name="skip"/> differ.</summary>
        /// <param name="skip">Where the heads start; both keys share the bytes before it.</param>
        /// <param name="a">One head.</param>
        /// <param name="b">The other, not equal to <paramref name="a"/>.</param>
        /// <returns>The prefix length.</returns>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static int PrefixOfHeads(int skip, uint a, uint b)
            => Math.Min(skip + (BitOperations.LeadingZeroCount(a ^ b) >> 3), MaxPrefix);

        private static ulong PaddedWord(ReadOnlySpan<byte> key, int start)
        {
            ulong word = 0;
            for (int i = 0; i < 8; i++)
            {
                int at = start + i;
                word = (word << 8) | (at < key.Length ? key[at] : 0u);
            }

            return word;
        }

        private static uint PaddedHead(ReadOnlySpan<byte> key, int skip)
        {
            uint head = 0;
            for (int i = 0; i < 4; i++)
            {
                int at = skip + i;
                head = (head << 8) | (at < key.Length ? key[at] : 0u);
            }

            return head;
        }
    }
}
