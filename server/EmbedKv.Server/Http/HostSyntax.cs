using System;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// The syntax of a Host field value and of an absolute-form target's authority:
    /// <code>
    /// Host        = uri-host [ ":" port ]                        (RFC 9110 §7.2)
    /// uri-host    = IP-literal / IPv4address / reg-name          (RFC 3986 §3.2.2)
    /// IP-literal  = "[" ( IPv6address / IPvFuture ) "]"
    /// IPvFuture   = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    /// reg-name    = *( unreserved / pct-encoded / sub-delims )
    /// port        = *DIGIT                                       (RFC 3986 §3.2.3)
    /// </code>
    /// An IPv4address is also a reg-name, so dotted names are checked as reg-names ("999.1.1.1" passes;
    /// it names nothing, but it cannot be mistaken for anything else). Zone identifiers (RFC 6874) are
    /// not part of the grammar and are refused. Nothing here allocates.
    /// </summary>
    internal static class HostSyntax
    {
        // RFC 3986 §3.2.2: "::" stands for at least one group of 16 bits, out of eight.
        private const int Ipv6Groups = 8;

        /// <summary>
        /// Whether <paramref name="value"/> is <c>uri-host [ ":" port ]</c>. An empty host (so an empty
        /// value) is allowed only where <paramref name="allowEmptyHost"/> says so: in the Host field when
        /// the target has no authority (RFC 9110 §7.2), never in an http URI (RFC 9110 §4.2.1).
        /// </summary>
        public static bool IsValid(ReadOnlySpan<byte> value, bool allowEmptyHost)
        {
            ReadOnlySpan<byte> rest;
            if (!value.IsEmpty && value[0] == (byte)'[')
            {
                int close = value.IndexOf((byte)']');
                if (close < 0 || !IsIpLiteralContent(value.Slice(1, close - 1)))
                {
                    return false;
                }

                rest = value.Slice(close + 1);
            }
            else
            {
                // reg-name has no ':', so the first one starts the port.
                int colon = value.IndexOf((byte)':');
                ReadOnlySpan<byte> name = colon < 0 ? value : value.Slice(0, colon);
                if ((name.IsEmpty && !allowEmptyHost) || !IsRegName(name))
                {
                    return false;
                }

                rest = colon < 0 ? default : value.Slice(colon);
            }

            return rest.IsEmpty || (rest[0] == (byte)':' && IsDigits(rest.Slice(1)));
        }

        private static bool IsIpLiteralContent(ReadOnlySpan<byte> text)
            => !text.IsEmpty && (text[0] is (byte)'v' or (byte)'V' ? IsIpvFuture(text) : IsIpv6(text));

        private static bool IsIpvFuture(ReadOnlySpan<byte> text)
        {
            int i = 1;
            while (i < text.Length && FieldSyntax.IsHexDigit(text[i]))
            {
                i++;
            }

            if (i == 1 || i >= text.Length - 1 || text[i] != (byte)'.')
            {
                return false; // "v" 1*HEXDIG "." and at least one byte after the dot
            }

            foreach (byte b in text.Slice(i + 1))
            {
                if (!IsUnreserved(b) && !IsSubDelim(b) && b != (byte)':')
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>
        /// IPv6address (RFC 3986 §3.2.2, RFC 4291 §2.2): eight groups of 1 to 4 hex digits separated
        /// by ":", or fewer with one "::" standing for the rest; the last two groups may be written as
        /// an IPv4address.
        /// </summary>
        private static bool IsIpv6(ReadOnlySpan<byte> text)
        {
            int groups = 0;
            bool elided = false;
            int i = 0;
            if (text.StartsWith("::"u8))
            {
                elided = true;
                i = 2;
                if (i == text.Length)
                {
                    return true;
                }
            }

            while (true)
            {
                int start = i;
                while (i < text.Length && i - start < 5 && FieldSyntax.IsHexDigit(text[i]))
                {
                    i++;
                }

                if (i < text.Length && text[i] == (byte)'.')
                {
                    // ls32 as an IPv4address: it must be the last thing, and counts as two groups.
                    if (!IsIpv4(text.Slice(start)))
                    {
                        return false;
                    }

                    groups += 2;
                    break;
                }

                int digits = i - start;
                if (digits == 0 || digits > 4)
                {
                    return false;
                }

                groups++;
                if (i == text.Length)
                {
                    break;
                }

                if (text[i] != (byte)':' || ++i == text.Length)
                {
                    return false; // not a separator, or a single ':' at the end
                }

                if (text[i] == (byte)':')
                {
                    if (elided)
                    {
                        return false; // "::" at most once, or the address is ambiguous
                    }

                    elided = true;
                    if (++i == text.Length)
                    {
                        break;
                    }
                }
            }

            return elided ? groups < Ipv6Groups : groups == Ipv6Groups;
        }

        /// <summary>IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet, dec-octet 0-255 without leading zeros.</summary>
        private static bool IsIpv4(ReadOnlySpan<byte> text)
        {
            for (int octet = 0; octet < 4; octet++)
            {
                if (octet > 0)
                {
                    if (text.IsEmpty || text[0] != (byte)'.')
                    {
                        return false;
                    }

                    text = text.Slice(1);
                }

                int digits = 0;
                int value = 0;
                while (digits < text.Length && digits < 4 && FieldSyntax.IsDigit(text[digits]))
                {
                    value = (value * 10) + (text[digits] - '0');
                    digits++;
                }

                if (digits == 0 || digits > 3 || value > 255 || (digits > 1 && text[0] == (byte)'0'))
                {
                    return false;
                }

                text = text.Slice(digits);
            }

            return text.IsEmpty;
        }

        private static bool IsRegName(ReadOnlySpan<byte> text)
        {
            for (int i = 0; i < text.Length; i++)
            {
                byte b = text[i];
                if (b == (byte)'%')
                {
                    // pct-encoded = "%" HEXDIG HEXDIG
                    if (i + 2 >= text.Length || !FieldSyntax.IsHexDigit(text[i + 1]) || !FieldSyntax.IsHexDigit(text[i + 2]))
                    {
                        return false;
                    }

                    i += 2;
                }
                else if (!IsUnreserved(b) && !IsSubDelim(b))
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsDigits(ReadOnlySpan<byte> text)
        {
            foreach (byte b in text)
            {
                if (!FieldSyntax.IsDigit(b))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3).</summary>
        private static bool IsUnreserved(byte b)
            => (b >= (byte)'a' && b <= (byte)'z') || (b >= (byte)'A' && b <= (byte)'Z') || FieldSyntax.IsDigit(b)
                || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';

        /// <summary>sub-delims = "!" / "$" / "&amp;" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "=" (RFC 3986 §2.2).</summary>
        private static bool IsSubDelim(byte b)
            => b is (byte)'!' or (byte)'$' or (byte)'&' or (byte)'\'' or (byte)'(' or (byte)')' or (byte)'*'
                or (byte)'+' or (byte)',' or (byte)';' or (byte)'=';
    }
}
