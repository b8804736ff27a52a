using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>
    /// Byte-level mutations of a request stream. They know nothing of HTTP beyond CRLF lines and digits,
    /// so they hit the request line, header fields, chunk-size lines, trailers and bodies alike; the bytes
    /// they favour are the ones HTTP framing hangs on.
    /// </summary>
    internal static class Mutator
    {
        private static readonly byte[] Interesting =
        {
            (byte)'\r', (byte)'\n', (byte)' ', (byte)'\t', 0, (byte)':', (byte)';', (byte)',', (byte)'=', (byte)'0', (byte)'9',
            (byte)'a', (byte)'F', (byte)'x', (byte)'-', (byte)'+', (byte)'%', (byte)'/', (byte)'?', (byte)'"', 0x7F, 0x80, 0xFF, 0x16,
        };

        /// <summary>Applies one random mutation in place and says what it did.</summary>
        public static string Apply(List<byte> stream, Random random)
        {
            int at = random.Next(stream.Count);
            switch (random.Next(14))
            {
                case 0:
                case 1:
                {
                    byte old = stream[at];
                    stream[at] = AnyByte(random);
                    return string.Format(CultureInfo.InvariantCulture, "byte {0} {1} -> {2}", at, Show(old), Show(stream[at]));
                }

                case 2:
                case 3:
                    stream.Insert(at, AnyByte(random));
                    return "insert " + Show(stream[at]) + " at " + at;
                case 4:
                {
                    string what = random.Next(3) == 0 ? "\r\n\r\n" : "\r\n";
                    stream.InsertRange(at, Encoding.Latin1.GetBytes(what));
                    return "insert " + WireText.Escape(Encoding.Latin1.GetBytes(what)) + " at " + at;
                }

                case 5:
                {
                    int length = Math.Min(stream.Count - at, random.Next(1, 5));
                    stream.RemoveRange(at, length);
                    return "delete " + length + " at " + at;
                }

                case 6:
                case 7:
                {
                    (int start, int length) = Line(stream, random);
                    if (length == 0)
                    {
                        goto default;
                    }

                    bool duplicate = random.Next(2) == 0;
                    string text = WireText.Escape(stream.GetRange(start, length).ToArray());
                    if (duplicate)
                    {
                        stream.InsertRange(start, stream.GetRange(start, length));
                    }
                    else
                    {
                        stream.RemoveRange(start, length);
                    }

                    return (duplicate ? "duplicate line " : "remove line ") + text + " at " + start;
                }

                case 8:
                    int cut = random.Next(1, stream.Count + 1);
                    stream.RemoveRange(cut, stream.Count - cut);
                    return "truncate at " + cut;
                case 9:
                {
                    int crlf = Find(stream, random, (s, i) => i + 1 < s.Count && s[i] == '\r' && s[i + 1] == '\n');
                    if (crlf < 0)
                    {
                        goto default;
                    }

                    bool keepCr = random.Next(3) == 0;
                    stream.RemoveAt(keepCr ? crlf + 1 : crlf);
                    return (keepCr ? "CRLF -> CR at " : "CRLF -> LF at ") + crlf;
                }

                case 10:
                case 11:
                    return Number(stream, random) ?? Apply(stream, random);
                case 12:
                {
                    int letter = Find(stream, random, (s, i) => char.IsAsciiLetter((char)s[i]));
                    if (letter < 0)
                    {
                        goto default;
                    }

                    stream[letter] ^= 0x20;
                    return "case of " + Show(stream[letter]) + " at " + letter;
                }

                case 13:
                {
                    int space = Find(stream, random, (s, i) => s[i] == ' ');
                    if (space < 0)
                    {
                        goto default;
                    }

                    stream[space] = (byte)'\t';
                    return "SP -> HT at " + space;
                }

                default:
                    stream.Insert(at, 0);
                    return "insert NUL at " + at;
            }
        }

        private static byte AnyByte(Random random) => random.Next(3) == 0 ? (byte)random.Next(256) : Interesting[random.Next(Interesting.Length)];

        /// <summary>Replaces a run of digits (a Content-Length, a chunk size, a version) with a neighbouring or absurd number.</summary>
        private static string? Number(List<byte> stream, Random random)
        {
            int start = Find(stream, random, (s, i) => char.IsAsciiDigit((char)s[i]) && (i == 0 || !char.IsAsciiDigit((char)s[i - 1])));
            if (start < 0)
            {
                return null;
            }

            int end = start;
            while (end < stream.Count && char.IsAsciiDigit((char)stream[end]))
            {
                end++;
            }

            string old = Encoding.Latin1.GetString(stream.GetRange(start, end - start).ToArray());
            long value = long.Parse(old.Length > 18 ? old.Substring(0, 18) : old, CultureInfo.InvariantCulture);
            string replacement = random.Next(9) switch
            {
                0 => (value + 1).ToString(CultureInfo.InvariantCulture),
                1 => (value - 1).ToString(CultureInfo.InvariantCulture),
                2 => "0",
                3 => "00" + old,
                4 => "99999999999999999999",
                5 => "1073741825",
                6 => old + " ",
                7 => " " + old,
                _ => "0x" + old,
            };
            stream.RemoveRange(start, end - start);
            stream.InsertRange(start, Encoding.Latin1.GetBytes(replacement));
            return "number " + old + " -> " + WireText.Escape(Encoding.Latin1.GetBytes(replacement)) + " at " + start;
        }

        /// <summary>A random CRLF-terminated line, CRLF included.</summary>
        private static (int Start, int Length) Line(List<byte> stream, Random random)
        {
            int end = Find(stream, random, (s, i) => i + 1 < s.Count && s[i] == '\r' && s[i + 1] == '\n');
            if (end < 0)
            {
                return (0, 0);
            }

            int start = end;
            while (start > 0 && stream[start - 1] != '\n')
            {
                start--;
            }

            return (start, end + 2 - start);
        }

        /// <summary>A random position where <paramref name="match"/> holds, or -1.</summary>
        private static int Find(List<byte> stream, Random random, Func<List<byte>, int, bool> match)
        {
            int[] found = Enumerable.Range(0, stream.Count).Where(i => match(stream, i)).ToArray();
            return found.Length == 0 ? -1 : found[random.Next(found.Length)];
        }

        private static string Show(byte b) => WireText.Escape(new[] { b });
    }
}
