using System;
using System.Globalization;

namespace EmbedKv.Client
{
    /// <summary>
    /// A key's version, as the server's strong ETag carries it (docs/api.md, "Versions"): every write of a key
    /// gives it a new, greater one, kept across restarts. <see cref="Absent"/> (0) stands for "no value",
    /// which is what a watch reports when the key is deleted or expires.
    /// </summary>
    public readonly struct KvVersion : IEquatable<KvVersion>, IComparable<KvVersion>
    {
        /// <summary>The version of a key that has no value.</summary>
        public static readonly KvVersion Absent;

        /// <summary>A version from its number.</summary>
        /// <param name="value">The number the ETag's hex digits spell.</param>
        public KvVersion(ulong value) => Value = value;

        /// <summary>The number the ETag's 16 hex digits spell.</summary>
        public ulong Value { get; }

        /// <summary>Whether this stands for no value.</summary>
        public bool IsAbsent => Value == 0;

        /// <summary>Whether two versions are the same.</summary>
        public static bool operator ==(KvVersion left, KvVersion right) => left.Value == right.Value;

        /// <summary>Whether two versions differ.</summary>
        public static bool operator !=(KvVersion left, KvVersion right) => left.Value != right.Value;

        /// <summary>Whether <paramref name="left"/> is older.</summary>
        public static bool operator <(KvVersion left, KvVersion right) => left.Value < right.Value;

        /// <summary>Whether <paramref name="left"/> is newer.</summary>
        public static bool operator >(KvVersion left, KvVersion right) => left.Value > right.Value;

        /// <summary>Whether <paramref name="left"/> is older or the same.</summary>
        public static bool operator <=(KvVersion left, KvVersion right) => left.Value <= right.Value;

        /// <summary>Whether <paramref name="left"/> is newer or the same.</summary>
        public static bool operator >=(KvVersion left, KvVersion right) => left.Value >= right.Value;

        /// <summary>
        /// Reads the server's entity tag: a double quote, 16 lowercase hex digits, a double quote. Any other
        /// form (a weak tag, another server's) is not one of ours.
        /// </summary>
        /// <param name="entityTag">The ETag field's value.</param>
        /// <param name="version">The version it names.</param>
        /// <returns>Whether it is one of the server's tags.</returns>
        public static bool TryParseETag(ReadOnlySpan<char> entityTag, out KvVersion version)
        {
            version = Absent;
            if (entityTag.Length != 18 || entityTag[0] != '"' || entityTag[17] != '"')
            {
                return false;
            }

            ReadOnlySpan<char> digits = entityTag.Slice(1, 16);
            foreach (char c in digits)
            {
                if (c is not ((>= '0' and <= '9') or (>= 'a' and <= 'f')))
                {
                    return false;
                }
            }

            version = new KvVersion(ulong.Parse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            return true;
        }

        /// <summary>The entity tag the server sends for this version (<c>"000000000000002a"</c>).</summary>
        public string ToETag() => "\"" + Value.ToString("x16", CultureInfo.InvariantCulture) + "\"";

        /// <summary>The entity tag, or "absent".</summary>
        public override string ToString() => IsAbsent ? "absent" : ToETag();

        /// <inheritdoc/>
        public bool Equals(KvVersion other) => Value == other.Value;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is KvVersion other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode() => Value.GetHashCode();

        /// <inheritdoc/>
        public int CompareTo(KvVersion other) => Value.CompareTo(other.Value);
    }
}
