using System;
using System.Text;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// The <c>wait</c> preference of a Prefer field (RFC 7240 §2, §4.3), the long-poll's time limit:
    /// <code>
    /// Prefer     = 1#preference
    /// preference = token [ BWS "=" BWS word ] *( OWS ";" [ OWS parameter ] )
    /// parameter  = token [ BWS "=" BWS word ]
    /// word       = token / quoted-string
    /// wait       = "wait" "=" delta-seconds                  (§4.3)
    /// </code>
    /// Names compare case-insensitively; parameters are read past and ignored; a quoted value counts as
    /// its content (<c>wait="5"</c> is 5). The first <c>wait</c> decides, over every Prefer line in order
    /// (§2: later instances SHOULD be ignored), even when it cannot be read. A preference the server
    /// cannot read is ignored, never refused (§2): a wait without a value, with one that is not
    /// delta-seconds, or malformed gives -1; another malformed preference is skipped, and the list goes
    /// on after the next comma outside a quoted string.
    /// </summary>
    internal static class Preferences
    {
        /// <summary>
        /// The largest wait returned: a larger delta-seconds is taken as 2^31 (RFC 9111 §1.2.2, which
        /// defines delta-seconds), so no number overflows.
        /// </summary>
        public const long MaxWait = 2147483648;

        /// <summary>The wait in seconds in one Prefer value, or -1 if it has none that is valid.</summary>
        public static long Wait(ReadOnlySpan<byte> value) => Find(value, out long seconds) ? seconds : -1;

        /// <summary>
        /// The wait in seconds over every Prefer line recorded in <paramref name="prefer"/>, or -1;
        /// <paramref name="buffer"/> is the buffer the head was parsed from.
        /// </summary>
        public static long Wait(ReadOnlySpan<byte> buffer, in FieldRef prefer)
        {
            foreach (ReadOnlySpan<byte> value in new FieldValues(buffer, in prefer, RequestFields.Prefer))
            {
                if (Find(value, out long seconds))
                {
                    return seconds;
                }
            }

            return -1;
        }

        /// <summary>Whether <paramref name="value"/> holds a wait preference; <paramref name="seconds"/> is -1 if that one is not valid.</summary>
        private static bool Find(ReadOnlySpan<byte> value, out long seconds)
        {
            int i = 0;
            while (i < value.Length)
            {
                i = SkipOws(value, i);
                if (i >= value.Length)
                {
                    break;
                }

                if (value[i] == (byte)',')
                {
                    i++; // an empty element
                    continue;
                }

                int nameEnd = SkipToken(value, i);
                bool isWait = Ascii.EqualsIgnoreCase(value.Slice(i, nameEnd - i), "wait"u8);
                i = ReadPreference(value, i, nameEnd, out ReadOnlySpan<byte> word, out bool quoted, out bool wellFormed);
                if (isWait)
                {
                    seconds = wellFormed ? DeltaSeconds(word, quoted) : -1;
                    return true;
                }

                if (!wellFormed)
                {
                    i = SkipElement(value, i);
                }
            }

            seconds = -1;
            return false;
        }

        /// <summary>
        /// Reads the rest of a preference whose token runs from <paramref name="start"/> to <paramref name="i"/>:
        /// its value and its parameters, up to the comma that ends it or the end. Returns where it stopped.
        /// </summary>
        private static int ReadPreference(ReadOnlySpan<byte> value, int start, int i, out ReadOnlySpan<byte> word, out bool quoted, out bool wellFormed)
        {
            word = default;
            quoted = false;
            wellFormed = false;
            if (i == start)
            {
                return i; // no token
            }

            int next = SkipOws(value, i);
            if (next < value.Length && value[next] == (byte)'=')
            {
                i = ReadWord(value, SkipOws(value, next + 1), out word, out quoted);
                if (i < 0)
                {
                    return next;
                }
            }

            while (true)
            {
                i = SkipOws(value, i);
                if (i >= value.Length || value[i] == (byte)',')
                {
                    wellFormed = true;
                    return i;
                }

                if (value[i] != (byte)';')
                {
                    return i;
                }

                // ";" [ OWS parameter ]
                i = SkipOws(value, i + 1);
                int parameterEnd = SkipToken(value, i);
                if (parameterEnd == i)
                {
                    continue;
                }

                i = parameterEnd;
                int equals = SkipOws(value, i);
                if (equals < value.Length && value[equals] == (byte)'=')
                {
                    i = ReadWord(value, SkipOws(value, equals + 1), out _, out _);
                    if (i < 0)
                    {
                        return equals;
                    }
                }
            }
        }

        /// <summary>Reads a word (token or quoted-string) at <paramref name="i"/>; an empty one is "no value" (§2). Returns where it ends, or -1.</summary>
        private static int ReadWord(ReadOnlySpan<byte> value, int i, out ReadOnlySpan<byte> word, out bool quoted)
        {
            quoted = i < value.Length && value[i] == (byte)'"';
            if (!quoted)
            {
                int end = SkipToken(value, i);
                word = value.Slice(i, end - i);
                return end;
            }

            for (int j = i + 1; j < value.Length; j++)
            {
                if (value[j] == (byte)'"')
                {
                    word = value.Slice(i + 1, j - i - 1);
                    return j + 1;
                }

                // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) (RFC 9110 §5.6.4)
                if (value[j] == (byte)'\\')
                {
                    j++;
                    if (j >= value.Length || !FieldSyntax.IsFieldValueByte(value[j]))
                    {
                        break;
                    }
                }
                else if (!FieldSyntax.IsQdtext(value[j]))
                {
                    break;
                }
            }

            word = default;
            return -1;
        }

        /// <summary>delta-seconds = 1*DIGIT, the content of a quoted-string counting as the string, saturated at <see cref="MaxWait"/>.</summary>
        private static long DeltaSeconds(ReadOnlySpan<byte> word, bool quoted)
        {
            long seconds = 0;
            int digits = 0;
            for (int i = 0; i < word.Length; i++)
            {
                byte b = word[i];
                if (quoted && b == (byte)'\\')
                {
                    b = word[++i];
                }

                if (!FieldSyntax.IsDigit(b))
                {
                    return -1;
                }

                digits++;
                seconds = Math.Min(MaxWait, (seconds * 10) + (b - '0'));
            }

            return digits == 0 ? -1 : seconds;
        }

        /// <summary>Past the rest of a malformed element: to the next comma outside a quoted string.</summary>
        private static int SkipElement(ReadOnlySpan<byte> value, int i)
        {
            bool inQuotes = false;
            for (; i < value.Length; i++)
            {
                byte b = value[i];
                if (inQuotes && b == (byte)'\\')
                {
                    i++;
                }
                else if (b == (byte)'"')
                {
                    inQuotes = !inQuotes;
                }
                else if (b == (byte)',' && !inQuotes)
                {
                    return i + 1;
                }
            }

            return value.Length;
        }

        private static int SkipToken(ReadOnlySpan<byte> value, int i)
        {
            while (i < value.Length && FieldSyntax.IsTchar(value[i]))
            {
                i++;
            }

            return i;
        }

        private static int SkipOws(ReadOnlySpan<byte> value, int i)
        {
            while (i < value.Length && FieldSyntax.IsWhitespace(value[i]))
            {
                i++;
            }

            return i;
        }
    }
}
