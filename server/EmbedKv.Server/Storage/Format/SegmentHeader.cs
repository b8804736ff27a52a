using System;
using System.Buffers.Binary;

namespace EmbedKv.Server.Storage.Format
{
    /// <summary>The 16 bytes at the start of every segment: magic with format version, segment id, CRC32C.</summary>
    internal static class SegmentHeader
    {
        public const int Size = 16;

        private static ReadOnlySpan<byte> Magic => "EKVSEG\0\u0001"u8;

        public static void Write(Span<byte> destination, uint segmentId)
        {
            Magic.CopyTo(destination);
            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(8), segmentId);
            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(12), Crc32C.Compute(destination.Slice(0, 12)));
        }

        /// <summary>True if the bytes are a valid header of the segment with that id.</summary>
        public static bool IsValid(ReadOnlySpan<byte> source, uint segmentId)
            => source.Length >= Size
               && source.Slice(0, 8).SequenceEqual(Magic)
               && BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(8)) == segmentId
               && BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(12)) == Crc32C.Compute(source.Slice(0, 12));
    }
}
