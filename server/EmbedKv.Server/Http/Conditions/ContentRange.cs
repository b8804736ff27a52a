using System;
using System.Buffers.Text;

namespace EmbedKv.Server.Http.Conditions
{
    /// <summary>
    /// The Content-Range field value of a 206 or a 416 (RFC 9110 §14.4):
    /// <code>
    /// Content-Range     = range-unit SP ( range-resp / unsatisfied-range )
    /// range-resp        = incl-range "/" ( complete-length / "*" )
    /// incl-range        = first-pos "-" last-pos
    /// unsatisfied-range = "*/" complete-length
    /// </code>
    /// Only the value is written (not the field name or CRLF), into the caller's span, without allocating.
    /// </summary>
    internal static class ContentRange
    {
        /// <summary>The longest value: "bytes " and three 19-digit numbers with their "-" and "/".</summary>
        public const int MaxLength = 6 + 19 + 1 + 19 + 1 + 19;

        /// <summary>Writes <c>bytes FIRST-LAST/LENGTH</c> for <paramref name="count"/> bytes from <paramref name="start"/>.</summary>
        /// <returns>The bytes written.</returns>
        /// <exception cref="ArgumentException">The range is empty or not inside the value, or <paramref name="destination"/> is too short.</exception>
        public static int Write(long start, long count, long length, Span<byte> destination)
        {
            if (start < 0 || count <= 0 || start > length - count)
            {
                throw new ArgumentException("The range [" + start + ", +" + count + ") is not inside a value of " + length + " bytes.");
            }

            int written = Unit(destination);
            written += Number(start, destination.Slice(written));
            written += Byte((byte)'-', destination.Slice(written));
            written += Number(start + count - 1, destination.Slice(written));
            written += Byte((byte)'/', destination.Slice(written));
            written += Number(length, destination.Slice(written));
            return written;
        }

        /// <summary>Writes <c>bytes */LENGTH</c>, the value a 416 carries (§15.5.17).</summary>
        /// <returns>The bytes written.</returns>
        /// <exception cref="ArgumentException"><paramref name="length"/> is negative, or <paramref name="destination"/> is too short.</exception>
        public static int WriteUnsatisfied(long length, Span<byte> destination)
        {
            if (length < 0)
            {
                throw new ArgumentException("A length is not negative: " + length + ".", nameof(length));
            }

            int written = Unit(destination);
            written += Byte((byte)'*', destination.Slice(written));
            written += Byte((byte)'/', destination.Slice(written));
            written += Number(length, destination.Slice(written));
            return written;
        }

        private static int Unit(Span<byte> destination)
        {
            if (!"bytes "u8.TryCopyTo(destination))
            {
                throw TooShort();
            }

            return 6;
        }

        private static int Byte(byte b, Span<byte> destination)
        {
            if (destination.IsEmpty)
            {
                throw TooShort();
            }

            destination[0] = b;
            return 1;
        }

        private static int Number(long number, Span<byte> destination)
            => Utf8Formatter.TryFormat(number, destination, out int written) ? written : throw TooShort();

        private static ArgumentException TooShort() => new ArgumentException("The destination is too short for a Content-Range value.", "destination");
    }
}
