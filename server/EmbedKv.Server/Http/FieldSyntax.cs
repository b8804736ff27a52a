using System;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// The byte classes of HTTP's field grammar (RFC 9110 §5.5, §5.6), in one place so the head parser
    /// and the chunked decoder (extensions, trailers) cannot drift apart on what a token or a field
    /// value is. Every check is per byte or over a span: nothing allocates.
    /// </summary>
    internal static class FieldSyntax
    {
        public const byte SP = (byte)' ';
        public const byte HTAB = (byte)'\t';

        /// <summary>tchar (RFC 9110 §5.6.2): the bytes of a token.</summary>
        public static bool IsTchar(byte b)
            => (b >= (byte)'a' && b <= (byte)'z') || (b >= (byte)'A' && b <= (byte)'Z') || IsDigit(b)
                || b is (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*'
                    or (byte)'+' or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

        /// <summary>token = 1*tchar (RFC 9110 §5.6.2).</summary>
        public static bool IsToken(ReadOnlySpan<byte> text)
        {
            if (text.IsEmpty)
            {
                return false;
            }

            foreach (byte b in text)
            {
                if (!IsTchar(b))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// A byte a field value may hold (RFC 9110 §5.5): VCHAR, obs-text, SP or HTAB. Every other
        /// control byte is out, DEL (0x7F) included, and so are CR and LF, which only end lines.
        /// </summary>
        public static bool IsFieldValueByte(byte b) => b == HTAB || (b >= 0x20 && b != 0x7F);

        /// <summary>qdtext (RFC 9110 §5.6.4): a field-value byte other than DQUOTE and backslash.</summary>
        public static bool IsQdtext(byte b) => b != (byte)'"' && b != (byte)'\\' && IsFieldValueByte(b);

        /// <summary>Optional whitespace (OWS, BWS: RFC 9110 §5.6.3).</summary>
        public static bool IsWhitespace(byte b) => b == SP || b == HTAB;

        /// <summary>DIGIT (RFC 5234 Appendix B.1).</summary>
        public static bool IsDigit(byte b) => b >= (byte)'0' && b <= (byte)'9';

        /// <summary>HEXDIG, either case (RFC 5234 Appendix B.1; ABNF strings are case-insensitive).</summary>
        public static bool IsHexDigit(byte b) => KeyDecoder.HexValue(b) >= 0;

        /// <summary>The value with its leading and trailing OWS removed (RFC 9112 §5.1).</summary>
        public static ReadOnlySpan<byte> TrimOws(ReadOnlySpan<byte> value)
        {
            int start = 0, end = value.Length;
            while (start < end && IsWhitespace(value[start]))
            {
                start++;
            }

            while (end > start && IsWhitespace(value[end - 1]))
            {
                end--;
            }

            return value.Slice(start, end - start);
        }
    }
}
