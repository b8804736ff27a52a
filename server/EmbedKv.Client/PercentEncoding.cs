using System;

namespace EmbedKv.Client
{
    /// <summary>
    /// Keys in paths and in listings: the server decodes every %XX and accepts raw only what RFC 3986 allows
    /// in a path; encoding everything but the unreserved set is what its listing sends back, so a key read
    /// from a listing and one built here are the same text.
    /// </summary>
    internal static class PercentEncoding
    {
        private const string Hex = "0123456789ABCDEF";

        public static string Encode(ReadOnlySpan<byte> bytes)
        {
            int length = 0;
            foreach (byte b in bytes)
            {
                length += IsUnreserved(b) ? 1 : 3;
            }

            return string.Create(length, bytes.ToArray(), static (chars, key) =>
            {
                int at = 0;
                foreach (byte b in key)
                {
                    if (IsUnreserved(b))
                    {
                        chars[at++] = (char)b;
                    }
                    else
                    {
                        chars[at++] = '%';
                        chars[at++] = Hex[b >> 4];
                        chars[at++] = Hex[b & 0xF];
                    }
                }
            });
        }

        /// <summary>Decodes every %XX; anything else is taken as it is. False for a '%' not followed by two hex digits.</summary>
        public static bool TryDecode(ReadOnlySpan<char> text, out byte[] bytes)
        {
            bytes = new byte[DecodedLength(text)];
            int at = 0;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '%')
                {
                    if (i + 2 >= text.Length)
                    {
                        return false;
                    }

                    int high = HexValue(text[i + 1]);
                    int low = HexValue(text[i + 2]);
                    if (high < 0 || low < 0)
                    {
                        return false;
                    }

                    bytes[at++] = (byte)((high << 4) | low);
                    i += 2;
                }
                else if (c > 0x7F)
                {
                    return false; // the server sends ASCII only
                }
                else
                {
                    bytes[at++] = (byte)c;
                }
            }

            return true;
        }

        private static int DecodedLength(ReadOnlySpan<char> text)
        {
            int length = 0;
            for (int i = 0; i < text.Length; i++)
            {
                if (text[i] == '%')
                {
                    i += 2;
                }

                length++;
            }

            return length;
        }

        private static bool IsUnreserved(byte b)
            => b is (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z') or (>= (byte)'0' and <= (byte)'9') or (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';

        private static int HexValue(char c) => c switch
        {
            >= '0' and <= '9' => c - '0',
            >= 'a' and <= 'f' => c - 'a' + 10,
            >= 'A' and <= 'F' => c - 'A' + 10,
            _ => -1,
        };
    }
}
