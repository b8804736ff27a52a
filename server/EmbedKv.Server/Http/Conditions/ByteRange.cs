using System;
using System.Text;

namespace EmbedKv.Server.Http.Conditions
{
    /// <summary>What a Range field asks of a value of a given length.</summary>
    internal enum RangeKind : byte
    {
        /// <summary>Serve the whole value (200): no usable range (§14.2 has the server ignore it).</summary>
        Ignore,

        /// <summary>Serve <see cref="ByteRange.Count"/> bytes from <see cref="ByteRange.Start"/> (206).</summary>
        Partial,

        /// <summary>The one range starts past the end (416, with <c>Content-Range: bytes */LENGTH</c>).</summary>
        Unsatisfiable,
    }

    /// <summary>
    /// A Range field read against a value's length (RFC 9110 §14.1.1, §14.1.2, §14.2):
    /// <code>
    /// Range        = range-unit "=" range-set
    /// range-unit   = token                                ; case-insensitive
    /// range-set    = 1#range-spec
    /// range-spec   = int-range / suffix-range / other-range
    /// int-range    = first-pos "-" [ last-pos ]           ; first-pos, last-pos = 1*DIGIT
    /// suffix-range = "-" suffix-length                    ; suffix-length = 1*DIGIT
    /// </code>
    /// <list type="bullet">
    /// <item>an int-range past the end is clamped to it; one starting at or past the end, or a
    /// suffix-range of 0, is unsatisfiable;</item>
    /// <item>what the server MUST or MAY ignore is ignored: a unit other than bytes (§14.2: MUST), a value
    /// outside the grammar, an int-range whose last-pos is before its first-pos (invalid, §14.1.2), other-range,
    /// a number too large for a long;</item>
    /// <item>more than one range-spec is ignored too, satisfiable or not: we answer multiple ranges with
    /// the whole value (§14.2 lets a server ignore Range) rather than with multipart/byteranges;</item>
    /// <item>a suffix-range of a value of length 0 is satisfiable (§14.1.2) but selects no byte, which no
    /// Content-Range can say (<c>bytes 0--1/0</c>): it is ignored, and the empty value is the answer.</item>
    /// </list>
    /// OWS is taken around every list element, also right after "=": the #rule puts it around commas
    /// (§5.6.1), and §14.1.2's own example <c>bytes= 0-999, 4500-5499, -1000</c> has one after "=".
    /// </summary>
    internal readonly struct ByteRange
    {
        private ByteRange(RangeKind kind, long start, long count)
        {
            Kind = kind;
            Start = start;
            Count = count;
        }

        /// <summary>What to answer.</summary>
        public RangeKind Kind { get; }

        /// <summary>The first byte served (for <see cref="RangeKind.Partial"/>).</summary>
        public long Start { get; }

        /// <summary>How many bytes are served, at least 1 (for <see cref="RangeKind.Partial"/>).</summary>
        public long Count { get; }

        private static ByteRange Ignored => new ByteRange(RangeKind.Ignore, 0, 0);

        private static ByteRange Unsatisfied => new ByteRange(RangeKind.Unsatisfiable, 0, 0);

        /// <summary>Reads <paramref name="rangeValue"/> (a Range field value) against a value of <paramref name="length"/> bytes.</summary>
        public static ByteRange Parse(ReadOnlySpan<byte> rangeValue, long length)
        {
            ReadOnlySpan<byte> value = FieldSyntax.TrimOws(rangeValue);
            int equals = value.IndexOf((byte)'=');
            if (equals <= 0 || !FieldSyntax.IsToken(value.Slice(0, equals)) || !Ascii.EqualsIgnoreCase(value.Slice(0, equals), "bytes"u8))
            {
                return Ignored;
            }

            // 1#range-spec: exactly one non-empty element is what we serve; none is malformed, two are ignored.
            ReadOnlySpan<byte> set = value.Slice(equals + 1);
            ReadOnlySpan<byte> spec = default;
            int specs = 0;
            while (true)
            {
                int comma = set.IndexOf((byte)',');
                ReadOnlySpan<byte> element = FieldSyntax.TrimOws(comma < 0 ? set : set.Slice(0, comma));
                if (!element.IsEmpty && ++specs == 1)
                {
                    spec = element;
                }

                if (comma < 0)
                {
                    break;
                }

                set = set.Slice(comma + 1);
            }

            return specs == 1 ? Resolve(spec, length) : Ignored;
        }

        private static ByteRange Resolve(ReadOnlySpan<byte> spec, long length)
        {
            int dash = spec.IndexOf((byte)'-');
            if (dash < 0)
            {
                return Ignored; // other-range: no meaning for bytes
            }

            if (dash == 0)
            {
                // suffix-range: the last suffix-length bytes, or the whole value if it is shorter.
                if (!TryReadDigits(spec.Slice(1), out long suffix))
                {
                    return Ignored;
                }

                if (suffix == 0)
                {
                    return Unsatisfied;
                }

                return length == 0 ? Ignored : new ByteRange(RangeKind.Partial, length - Math.Min(suffix, length), Math.Min(suffix, length));
            }

            if (!TryReadDigits(spec.Slice(0, dash), out long first))
            {
                return Ignored;
            }

            long last = long.MaxValue;
            if (dash + 1 < spec.Length && (!TryReadDigits(spec.Slice(dash + 1), out last) || last < first))
            {
                return Ignored; // outside the grammar, or last-pos before first-pos (invalid, §14.1.2)
            }

            if (first >= length)
            {
                return Unsatisfied;
            }

            return new ByteRange(RangeKind.Partial, first, Math.Min(last, length - 1) - first + 1);
        }

        private static bool TryReadDigits(ReadOnlySpan<byte> text, out long number)
        {
            number = 0;
            if (text.IsEmpty)
            {
                return false;
            }

            foreach (byte b in text)
            {
                if (!FieldSyntax.IsDigit(b) || number > (long.MaxValue - (b - '0')) / 10)
                {
                    return false;
                }

                number = (number * 10) + (b - '0');
            }

            return true;
        }
    }
}
