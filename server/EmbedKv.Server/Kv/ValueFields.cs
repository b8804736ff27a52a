using System;
using System.Buffers;
using System.Buffers.Text;
using EmbedKv.Server.Http.Conditions;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// The header lines that describe a value in an answer (docs/api.md), written into a small span the
    /// handler keeps: ETag (RFC 9110 §8.8.3), Accept-Ranges (§14.3), Expires (RFC 9111 §5.3) and
    /// Content-Range (§14.4). ResponseComposer writes them into the head after the standard fields.
    /// </summary>
    internal ref struct ValueFields
    {
        /// <summary>Room for every line at once: ETag, Accept-Ranges, Expires, Content-Range.</summary>
        public const int MaxLength = 6 + EntityTag.Length + 2 + 22 + 9 + 29 + 2 + 15 + Http.Conditions.ContentRange.MaxLength + 2;

        private readonly Span<byte> _destination;

        public ValueFields(Span<byte> destination)
        {
            _destination = destination;
            Length = 0;
        }

        public int Length { get; private set; }

        public readonly ReadOnlySpan<byte> Written => _destination.Slice(0, Length);

        public void ETag(ulong version)
        {
            Append("ETag: "u8);
            Length += EntityTag.Write(version, _destination.Slice(Length));
            Append("\r\n"u8);
        }

        public void AcceptRanges() => Append("Accept-Ranges: bytes\r\n"u8);

        /// <summary>Expires: the value's expiry (Unix seconds) as an IMF-fixdate; nothing if it never expires.</summary>
        public void Expires(long unixSeconds)
        {
            if (unixSeconds == 0)
            {
                return;
            }

            Append("Expires: "u8);
            Utf8Formatter.TryFormat(DateTimeOffset.FromUnixTimeSeconds(unixSeconds).UtcDateTime, _destination.Slice(Length), out int written, new StandardFormat('R'));
            Length += written;
            Append("\r\n"u8);
        }

        public void ContentRange(long start, long count, long length)
        {
            Append("Content-Range: "u8);
            Length += Http.Conditions.ContentRange.Write(start, count, length, _destination.Slice(Length));
            Append("\r\n"u8);
        }

        public void UnsatisfiedRange(long length)
        {
            Append("Content-Range: "u8);
            Length += Http.Conditions.ContentRange.WriteUnsatisfied(length, _destination.Slice(Length));
            Append("\r\n"u8);
        }

        private void Append(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(_destination.Slice(Length));
            Length += bytes.Length;
        }
    }
}
