using System;
using System.Globalization;
using System.Text;

namespace EmbedKv.Server.Tests.Storage.HttpKill
{
    /// <summary>
    /// The bytes of one write in the HTTP kill test, derived from the key and the write's id alone: a text
    /// header naming both and the length, then a pattern seeded by them. Whatever a GET returns can
    /// therefore be traced to exactly one write, and a torn, truncated or misplaced value cannot pass.
    /// </summary>
    internal static class KillValue
    {
        /// <summary>The state of an absent key (ids of writes start at 1).</summary>
        public const long Absent = 0;

        private const string Magic = "ekv-kill ";

        public static int MinimumLength(string key, long id) => Header(key, id, 0).Length + 16;

        public static byte[] Make(string key, long id, int length)
        {
            byte[] header = Header(key, id, length);
            if (length < header.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(length), "a value of " + key + " must hold its header");
            }

            var value = new byte[length];
            header.CopyTo(value, 0);
            Fill(value.AsSpan(header.Length), Seed(key, id));
            return value;
        }

        /// <summary>The id of the write whose bytes <paramref name="body"/> are, or null with the reason it is none.</summary>
        public static long? IdOf(string key, ReadOnlySpan<byte> body, out string problem)
        {
            problem = string.Empty;
            int end = body.Slice(0, Math.Min(body.Length, 2048)).IndexOf((byte)'\n');
            string head = end < 0 ? string.Empty : Encoding.UTF8.GetString(body.Slice(0, end));
            string[] parts = head.StartsWith(Magic, StringComparison.Ordinal) ? head.Substring(Magic.Length).Split(' ') : Array.Empty<string>();
            if (parts.Length != 3
                || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long id)
                || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out int length))
            {
                problem = body.Length + " bytes without a value header (starting " + Printable(body.Slice(0, Math.Min(body.Length, 48))) + ")";
                return null;
            }

            if (parts[0] != key)
            {
                problem = "the value of another key: " + head;
                return null;
            }

            if (length != body.Length)
            {
                problem = body.Length + " bytes of a value that has " + length + " (" + head + ")";
                return null;
            }

            byte[] expected = Make(key, id, length);
            int mismatch = body.CommonPrefixLength(expected);
            if (mismatch != length)
            {
                problem = "bytes differ from offset " + mismatch + " of " + length + " (" + head + ")";
                return null;
            }

            return id;
        }

        public static string Describe(long state) => state == Absent ? "absent" : "w" + state.ToString(CultureInfo.InvariantCulture);

        private static byte[] Header(string key, long id, int length) =>
            Encoding.UTF8.GetBytes(Magic + key + " " + id.ToString(CultureInfo.InvariantCulture) + " " + length.ToString(CultureInfo.InvariantCulture) + "\n");

        private static ulong Seed(string key, long id)
        {
            // FNV-1a 64: string.GetHashCode differs between runs.
            ulong hash = 14695981039346656037UL;
            foreach (byte b in Encoding.UTF8.GetBytes(key + "|" + id.ToString(CultureInfo.InvariantCulture)))
            {
                hash = (hash ^ b) * 1099511628211UL;
            }

            return hash;
        }

        private static void Fill(Span<byte> span, ulong state)
        {
            int i = 0;
            while (i < span.Length)
            {
                // SplitMix64, eight bytes at a time.
                state += 0x9E3779B97F4A7C15UL;
                ulong z = state;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                z ^= z >> 31;
                for (int b = 0; b < 8 && i < span.Length; b++, i++)
                {
                    span[i] = (byte)(z >> (b * 8));
                }
            }
        }

        private static string Printable(ReadOnlySpan<byte> bytes)
        {
            var text = new StringBuilder();
            foreach (byte b in bytes)
            {
                text.Append(b is >= 0x20 and < 0x7F ? (char)b : '.');
            }

            return "'" + text + "'";
        }
    }
}
