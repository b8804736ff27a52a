using System;
using System.Buffers.Text;
using EmbedKv.Server.Http.Conditions;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// Writes a listing page (docs/api.md, "Listing") into a span:
    /// <c>{"keys":[{"key":"a%2Fb","size":5,"etag":"\"…\""}],"next":"a%2Fb"}</c>. Keys are percent-encoded,
    /// every byte but RFC 3986's unreserved ones, so a client can put one straight into a path; the result
    /// is ASCII without quotes or backslashes, so it needs no JSON escaping. The writer never overruns:
    /// <see cref="HasRoomFor"/> says whether one more key fits with the page's end.
    /// </summary>
    internal ref struct ListingWriter
    {
        // {"key":"","size":<19 digits>,"etag":"\"<16>\""}, plus the comma before it.
        private const int EntryOverhead = 9 + 9 + 19 + 10 + 2 + EntityTag.Length + 2 + 2;

        // ],"next":""} after the last entry.
        private const int EndOverhead = 11 + 2;

        private readonly Span<byte> _destination;
        private int _entries;

        public ListingWriter(Span<byte> destination)
        {
            _destination = destination;
            _entries = 0;
            Length = 0;
            Append("{\"keys\":["u8);
        }

        public int Length { get; private set; }

        public readonly ReadOnlySpan<byte> Written => _destination.Slice(0, Length);

        /// <summary>Whether an entry for a key of <paramref name="keyLength"/> bytes still fits, leaving room for the end and a next naming it.</summary>
        public readonly bool HasRoomFor(int keyLength) => Length + EntryOverhead + EndOverhead + (2 * 3 * keyLength) <= _destination.Length;

        public void Entry(ReadOnlySpan<byte> key, long size, ulong version)
        {
            Append(_entries++ == 0 ? "{\"key\":\""u8 : ",{\"key\":\""u8);
            AppendEncoded(key);
            Append("\",\"size\":"u8);
            Utf8Formatter.TryFormat(size, _destination.Slice(Length), out int written);
            Length += written;
            Append(",\"etag\":\"\\\""u8);

            // The tag's own quotes become \" inside the JSON string.
            Span<byte> tag = stackalloc byte[EntityTag.Length];
            EntityTag.Write(version, tag);
            Append(tag.Slice(1, EntityTag.Length - 2));
            Append("\\\"\"}"u8);
        }

        /// <summary>Ends the page; <paramref name="next"/> is the key to pass as after, or none when nothing follows.</summary>
        public void End(ReadOnlySpan<byte> next, bool hasNext)
        {
            Append("]"u8);
            if (hasNext)
            {
                Append(",\"next\":\""u8);
                AppendEncoded(next);
                Append("\""u8);
            }

            Append("}"u8);
        }

        /// <summary>Whether a byte stays as it is in a listed key: RFC 3986 §2.3's unreserved set.</summary>
        public static bool IsUnreserved(byte b) => (uint)((b | 0x20) - 'a') <= 'z' - 'a' || (uint)(b - '0') <= 9 || b is (byte)'-' or (byte)'.' or (byte)'_' or (byte)'~';

        private void AppendEncoded(ReadOnlySpan<byte> key)
        {
            foreach (byte b in key)
            {
                if (IsUnreserved(b))
                {
                    _destination[Length++] = b;
                    continue;
                }

                _destination[Length++] = (byte)'%';
                _destination[Length++] = Hex(b >> 4);
                _destination[Length++] = Hex(b & 0xF);
            }
        }

        private static byte Hex(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'A' + nibble - 10);

        private void Append(scoped ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination.Slice(Length));
            Length += bytes.Length;
        }
    }
}
