using System;
using System.Buffers.Binary;

namespace EmbedKv.Server.Storage.Format
{
    /// <summary>
    /// The 24-byte header in front of every record (docs/storage.md): CRC32C, magic, flags, key
    /// length, value length, sequence. The CRC covers the key, the value and then the header's bytes
    /// 4..24, in that order, so that a value streamed in chunks can be checksummed as it arrives and
    /// finished once its length and sequence are known.
    /// </summary>
    internal readonly struct RecordHeader
    {
        public const int Size = 24;
        public const byte Magic = 0xEB;
        public const byte TombstoneFlag = 1;

        public RecordHeader(int keyLength, long valueLength, ulong sequence, bool tombstone)
        {
            KeyLength = keyLength;
            ValueLength = valueLength;
            Sequence = sequence;
            Tombstone = tombstone;
        }

        public int KeyLength { get; }

        public long ValueLength { get; }

        public ulong Sequence { get; }

        public bool Tombstone { get; }

        /// <summary>Bytes the whole record takes in its segment.</summary>
        public long RecordLength => Size + KeyLength + ValueLength;

        public static long LengthOf(int keyLength, long valueLength) => Size + keyLength + valueLength;

        /// <summary>Writes the header with a zero CRC field; <see cref="Seal"/> fills it in.</summary>
        public void WriteTo(Span<byte> destination)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination, 0);
            destination[4] = Magic;
            destination[5] = Tombstone ? TombstoneFlag : (byte)0;
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(6), (ushort)KeyLength);
            BinaryPrimitives.WriteInt64LittleEndian(destination.Slice(8), ValueLength);
            BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(16), Sequence);
        }

        /// <summary>Finishes a record's CRC: the CRC of its key and value, extended over header bytes 4..24.</summary>
        public static uint FinishCrc(uint keyAndValueCrc, ReadOnlySpan<byte> header) => Crc32C.Append(keyAndValueCrc, header.Slice(4, Size - 4));

        /// <summary>Computes and stores the CRC of a header written by <see cref="WriteTo"/>.</summary>
        public static void Seal(Span<byte> header, uint keyAndValueCrc)
            => BinaryPrimitives.WriteUInt32LittleEndian(header, FinishCrc(keyAndValueCrc, header));

        public static uint StoredCrc(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32LittleEndian(header);

        /// <summary>Reads a header; false if the magic or flags cannot be a record's.</summary>
        public static bool TryRead(ReadOnlySpan<byte> source, out RecordHeader header)
        {
            header = default;
            if (source.Length < Size || source[4] != Magic || (source[5] & ~TombstoneFlag) != 0)
            {
                return false;
            }

            long valueLength = BinaryPrimitives.ReadInt64LittleEndian(source.Slice(8));
            if (valueLength < 0 || valueLength > int.MaxValue)
            {
                return false;
            }

            header = new RecordHeader(
                BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(6)),
                valueLength,
                BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(16)),
                (source[5] & TombstoneFlag) != 0);
            return !header.Tombstone || valueLength == 0;
        }
    }
}
