using System;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// Percent-decoding of the key (RFC 3986 §2.1): "%2F" is '/', "%20" a space; every other byte is
    /// itself ('+' stays '+': that is form encoding, not path encoding). The key is opaque bytes: it is
    /// never a file name, so "../" in a key reaches nothing but the key.
    /// </summary>
    internal static class KeyDecoder
    {
        /// <summary>The decoded length, or -1 if a '%' is not followed by two hex digits.</summary>
        public static int DecodedLength(ReadOnlySpan<byte> encoded)
        {
            int length = 0;
            for (int i = 0; i < encoded.Length; i++, length++)
            {
                if (encoded[i] == (byte)'%')
                {
                    if (i + 2 >= encoded.Length || HexValue(encoded[i + 1]) < 0 || HexValue(encoded[i + 2]) < 0)
                    {
                        return -1;
                    }

                    i += 2;
                }
            }

            return length;
        }

        /// <summary>Decodes a key that <see cref="DecodedLength"/> accepted into <paramref name="destination"/>.</summary>
        /// <returns>The decoded length.</returns>
        public static int Decode(ReadOnlySpan<byte> encoded, Span<byte> destination)
        {
            int written = 0;
            for (int i = 0; i < encoded.Length; i++)
            {
                byte b = encoded[i];
                if (b == (byte)'%')
                {
                    b = (byte)((HexValue(encoded[i + 1]) << 4) | HexValue(encoded[i + 2]));
                    i += 2;
                }

                destination[written++] = b;
            }

            return written;
        }

        /// <summary>The value of a hex digit, or -1.</summary>
        internal static int HexValue(byte c) => c switch
        {
            >= (byte)'0' and <= (byte)'9' => c - '0',
            >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
            >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
            _ => -1,
        };
    }
}
