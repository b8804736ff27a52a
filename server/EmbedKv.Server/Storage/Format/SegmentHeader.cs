using System;
using System.Buffers.Binary;
using EmbedKv.Runtime.Entropy;

namespace EmbedKv.Server.Storage.Format
{
    /// <summary>
    /// The header at the start of every segment (docs/storage.md). Versions 2 and 3 (24 bytes): magic, segment
    /// id, salt, CRC32C; they differ only in what their records may carry. Version 1 (16 bytes, still
    /// read): magic, segment id, CRC32C.
    /// </summary>
    internal static class SegmentHeader
    {
        public const int Size = 24;
        public const int SizeV1 = 16;

        private static ReadOnlySpan<byte> MagicV1 => "EKVSEG\0\u0001"u8;

        /// <summary>The salted magics' common part; byte 7 is the version.</summary>
        private static ReadOnlySpan<byte> MagicSalted => "EKVSEG\0"u8;

        /// <summary>Writes a header of the current version with a fresh salt from the kernel and returns the segment's format.</summary>
        public static SegmentFormat Write(Span<byte> destination, uint segmentId)
        {
            SegmentFormat format = SegmentFormat.Of(SegmentFormat.Current, KernelRandom.NextNonZeroUInt64());
            Write(destination, segmentId, format);
            return format;
        }

        /// <summary>Writes a header of that format (a repair keeps a damaged segment's version and salt, so its records still check).</summary>
        public static void Write(Span<byte> destination, uint segmentId, SegmentFormat format)
        {
            if (format.Version == SegmentFormat.Legacy)
            {
                MagicV1.CopyTo(destination);
                BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(8), segmentId);
                BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(12), Crc32C.Compute(destination.Slice(0, 12)));
                return;
            }

            MagicSalted.CopyTo(destination);
            destination[7] = (byte)format.Version;
            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(8), segmentId);
            BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(12), format.Salt);
            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(20), Crc32C.Compute(destination.Slice(0, 20)));
        }

        /// <summary>True if the bytes are a valid header (either version) of the segment with that id.</summary>
        public static bool TryRead(ReadOnlySpan<byte> source, uint segmentId, out SegmentFormat format)
        {
            format = default;
            if (source.Length >= SizeV1 && source.Slice(0, 8).SequenceEqual(MagicV1)
                && BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(8)) == segmentId
                && BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(12)) == Crc32C.Compute(source.Slice(0, 12)))
            {
                format = SegmentFormat.V1;
                return true;
            }

            if (IsSaltedMagic(source)
                && BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(8)) == segmentId
                && BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(20)) == Crc32C.Compute(source.Slice(0, 20)))
            {
                format = SegmentFormat.Of(source[7], BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(12)));
                return true;
            }

            return false;
        }

        public static bool IsValid(ReadOnlySpan<byte> source, uint segmentId) => TryRead(source, segmentId, out _);

        /// <summary>
        /// For a header that fails its check: the salt its bytes hold, if any, with the version its magic
        /// names (the current one if the magic is damaged too). Zero is never a
        /// salt (<see cref="Write(Span{byte}, uint)"/> skips it), so a header page that never reached the
        /// disk, all zeros, gives none, and nobody can forge records for it.
        /// </summary>
        public static bool TryGuessSalt(ReadOnlySpan<byte> source, out SegmentFormat format)
        {
            format = default;
            if (source.Length < Size)
            {
                return false;
            }

            ulong salt = BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(12));
            format = SegmentFormat.Of(IsSaltedMagic(source) ? source[7] : SegmentFormat.Current, salt);
            return salt != 0;
        }

        /// <summary>Whether the bytes start with either version's magic and are that version's whole header.</summary>
        public static bool HasWholeMagic(ReadOnlySpan<byte> source)
            => (source.Length >= SizeV1 && source.Slice(0, 8).SequenceEqual(MagicV1))
               || IsSaltedMagic(source);

        private static bool IsSaltedMagic(ReadOnlySpan<byte> source)
            => source.Length >= Size && source.Slice(0, 7).SequenceEqual(MagicSalted)
               && source[7] is >= SegmentFormat.Salted and <= SegmentFormat.Current;
    }
}
