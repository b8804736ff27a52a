using System;
using System.Buffers.Binary;
using EmbedKv.Runtime.Entropy;

namespace EmbedKv.Server.Storage.Format
{
    /// <summary>
    /// The header at the start of every segment (docs/storage.md). Version 2 (24 bytes): magic, segment
    /// id, salt, CRC32C. Version 1 (16 bytes, still read): magic, segment id, CRC32C.
    /// </summary>
    internal static class SegmentHeader
    {
        public const int Size = 24;
        public const int SizeV1 = 16;

        private static ReadOnlySpan<byte> MagicV1 => "EKVSEG\0\u0001"u8;

        private static ReadOnlySpan<byte> MagicV2 => "EKVSEG\0\u0002"u8;

        /// <summary>Writes a version 2 header with a fresh salt from the kernel and returns the segment's format.</summary>
        public static SegmentFormat Write(Span<byte> destination, uint segmentId)
        {
            SegmentFormat format = SegmentFormat.V2(KernelRandom.NextNonZeroUInt64());
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

            MagicV2.CopyTo(destination);
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

            if (source.Length >= Size && source.Slice(0, 8).SequenceEqual(MagicV2)
                && BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(8)) == segmentId
                && BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(20)) == Crc32C.Compute(source.Slice(0, 20)))
            {
                format = SegmentFormat.V2(BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(12)));
                return true;
            }

            return false;
        }

        public static bool IsValid(ReadOnlySpan<byte> source, uint segmentId) => TryRead(source, segmentId, out _);

        /// <summary>
        /// For a header that fails its check: the version 2 salt its bytes hold, if any. Zero is never a
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
            format = SegmentFormat.V2(salt);
            return salt != 0;
        }

        /// <summary>Whether the bytes start with either version's magic and are that version's whole header.</summary>
        public static bool HasWholeMagic(ReadOnlySpan<byte> source)
            => (source.Length >= SizeV1 && source.Slice(0, 8).SequenceEqual(MagicV1))
               || (source.Length >= Size && source.Slice(0, 8).SequenceEqual(MagicV2));
    }
}
