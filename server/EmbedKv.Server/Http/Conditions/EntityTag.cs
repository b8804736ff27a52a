using System;

namespace EmbedKv.Server.Http.Conditions
{
    /// <summary>
    /// Entity tags (RFC 9110 §8.8.3) and the one form this server makes of a value's version:
    /// <code>
    /// entity-tag = [ weak ] opaque-tag
    /// weak       = %s"W/"
    /// opaque-tag = DQUOTE *etagc DQUOTE
    /// etagc      = %x21 / %x23-7E / obs-text
    /// </code>
    /// Ours is always strong: a version changes with every write of the key, so two values with one tag
    /// are the same bytes, which is what a strong validator promises (§8.8.1) and what ranges need (§13.1.5).
    /// It is <c>"</c> + 16 lowercase hex digits of the 64-bit version + <c>"</c>: a fixed width, so a
    /// response head can reserve its room.
    /// </summary>
    internal static class EntityTag
    {
        /// <summary>The length of our tag, quotes included.</summary>
        public const int Length = 18;

        private const byte Quote = (byte)'"';

        /// <summary>Writes the tag of <paramref name="version"/> (<see cref="Length"/> bytes, quotes included).</summary>
        /// <returns>The bytes written: always <see cref="Length"/>.</returns>
        /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <see cref="Length"/>.</exception>
        public static int Write(ulong version, Span<byte> destination)
        {
            if (destination.Length < Length)
            {
                throw new ArgumentException("An entity tag needs " + Length + " bytes.", nameof(destination));
            }

            destination[0] = Quote;
            for (int i = 16; i >= 1; i--)
            {
                destination[i] = "0123456789abcdef"u8[(int)(version & 0xF)];
                version >>= 4;
            }

            destination[17] = Quote;
            return Length;
        }

        /// <summary>
        /// The version in an opaque-tag (quotes included) of exactly our form; false for any other tag,
        /// upper-case hex included: tags compare byte for byte (§8.8.3.2), so "ABC" is not "abc".
        /// </summary>
        public static bool TryParseVersion(ReadOnlySpan<byte> opaqueTag, out ulong version)
        {
            version = 0;
            if (opaqueTag.Length != Length || opaqueTag[0] != Quote || opaqueTag[17] != Quote)
            {
                return false;
            }

            ulong value = 0;
            foreach (byte b in opaqueTag.Slice(1, 16))
            {
                int digit = b is >= (byte)'0' and <= (byte)'9' ? b - '0' : b is >= (byte)'a' and <= (byte)'f' ? b - 'a' + 10 : -1;
                if (digit < 0)
                {
                    return false;
                }

                value = (value << 4) | (uint)digit;
            }

            version = value;
            return true;
        }

        /// <summary>Whether <paramref name="value"/> is exactly one entity-tag, and its parts.</summary>
        public static bool TryParse(ReadOnlySpan<byte> value, out bool isWeak, out ReadOnlySpan<byte> opaqueTag)
        {
            int length = Measure(value, out isWeak);
            if (length < 0 || length != value.Length)
            {
                isWeak = false;
                opaqueTag = default;
                return false;
            }

            opaqueTag = value.Slice(isWeak ? 2 : 0);
            return true;
        }

        /// <summary>etagc (§8.8.3): any VCHAR but DQUOTE, or obs-text.</summary>
        public static bool IsEtagc(byte b) => b == 0x21 || (b >= 0x23 && b != 0x7F);

        /// <summary>The length of the entity-tag that starts <paramref name="text"/>, or -1 if none does.</summary>
        internal static int Measure(ReadOnlySpan<byte> text, out bool isWeak)
        {
            // %s"W/": the weak prefix is case-sensitive (RFC 9110 §8.8.3, RFC 7405).
            isWeak = text.Length >= 2 && text[0] == (byte)'W' && text[1] == (byte)'/';
            int start = isWeak ? 2 : 0;
            if (text.Length <= start || text[start] != Quote)
            {
                return -1;
            }

            for (int i = start + 1; i < text.Length; i++)
            {
                if (text[i] == Quote)
                {
                    return i + 1;
                }

                if (!IsEtagc(text[i]))
                {
                    return -1;
                }
            }

            return -1;
        }
    }
}
