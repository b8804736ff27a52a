using System;
using System.Buffers.Binary;

namespace EmbedKv.Server.Storage.Format
{
    /// <summary>
    /// The 24-byte header in front of every record (docs/storage.md, "Record"). Version 2: CRC32C, magic,
    /// flags, key length, value length (4 bytes), SyncedTo, sequence. Version 1 had an 8-byte value
    /// length and no SyncedTo. Version 3 adds the expiry flag: such a record ends in an 8-byte trailer,
    /// its expiry time, after the value. The CRC starts from the segment's seed for the record's offset
    /// (<see cref="SegmentFormat.CrcSeed"/>), then covers the key, the value, the trailer and the header's
    /// bytes 4..24, in that order, so that a value streamed in chunks can be checksummed as it arrives and
    /// finished once its length and sequence are known, and the bytes after the header can be copied as
    /// they are.
    /// </summary>
    internal readonly struct RecordHeader
    {
        public const int Size = 24;
        public const byte Magic = 0xEB;
        public const byte TombstoneFlag = 1;

        /// <summary>A seal record (version 2): no key, no value, only a SyncedTo claim.</summary>
        public const byte SealFlag = 2;

        /// <summary>A put that expires (version 3): its expiry trailer follows the value.</summary>
        public const byte ExpiresFlag = 4;

        /// <summary>The expiry trailer: the expiry time in Unix seconds, never 0.</summary>
        public const int TrailerSize = 8;

        public RecordHeader(int keyLength, long valueLength, ulong sequence, bool tombstone, long syncedTo = 0, bool seal = false, ulong expires = 0)
        {
            KeyLength = keyLength;
            ValueLength = valueLength;
            Sequence = sequence;
            Tombstone = tombstone;
            SyncedTo = syncedTo;
            IsSeal = seal;
            Expires = expires;
        }

        public int KeyLength { get; }

        public long ValueLength { get; }

        public ulong Sequence { get; }

        public bool Tombstone { get; }

        /// <summary>
        /// The claim (version 2): the segment length that the last completed fdatasync of the segment
        /// covered when this record was written. True whether or not this record itself reached the disk.
        /// </summary>
        public long SyncedTo { get; }

        /// <summary>A seal record: no data, only its claim.</summary>
        public bool IsSeal { get; }

        /// <summary>
        /// When the value expires, in Unix seconds; 0 if never. <see cref="TryRead"/> cannot know it (it is in
        /// the trailer): there it is <see cref="ExpiresUnread"/> until the reader reads the trailer.
        /// </summary>
        public ulong Expires { get; }

        /// <summary>What <see cref="TryRead"/> gives a record with the expiry flag before its trailer is read.</summary>
        public const ulong ExpiresUnread = ulong.MaxValue;

        public bool HasTrailer => Expires != 0;

        /// <summary>Bytes the whole record takes in its segment.</summary>
        public long RecordLength => LengthOf(KeyLength, ValueLength, HasTrailer);

        public static long LengthOf(int keyLength, long valueLength, bool expires = false) => Size + keyLength + valueLength + (expires ? TrailerSize : 0);

        /// <summary>The same header with the expiry its trailer holds.</summary>
        public RecordHeader WithExpires(ulong expires) => new RecordHeader(KeyLength, ValueLength, Sequence, Tombstone, SyncedTo, IsSeal, expires);

        /// <summary>Writes the trailer of a record that expires.</summary>
        public static void WriteTrailer(Span<byte> destination, ulong expires) => BinaryPrimitives.WriteUInt64LittleEndian(destination, expires);

        public static ulong ReadTrailer(ReadOnlySpan<byte> source) => BinaryPrimitives.ReadUInt64LittleEndian(source);

        /// <summary>Writes the header (version 2) with a zero CRC field; <see cref="Seal(Span{byte}, uint)"/> fills it in.</summary>
        public void WriteTo(Span<byte> destination)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(destination, 0);
            destination[4] = Magic;
            destination[5] = (byte)((Tombstone ? TombstoneFlag : 0) | (IsSeal ? SealFlag : 0) | (HasTrailer ? ExpiresFlag : 0));
            BinaryPrimitives.WriteUInt16LittleEndian(destination.Slice(6), (ushort)KeyLength);
            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(8), (uint)ValueLength);

            // A segment never reaches 4 GiB (offsets are 32-bit in the index); a smaller claim is still true.
            BinaryPrimitives.WriteUInt32LittleEndian(destination.Slice(12), (uint)Math.Min(SyncedTo, uint.MaxValue));
            BinaryPrimitives.WriteUInt64LittleEndian(destination.Slice(16), Sequence);
        }

        /// <summary>Finishes a record's CRC: the CRC of its seed, key, value and trailer, extended over header bytes 4..24.</summary>
        public static uint FinishCrc(uint keyAndValueCrc, ReadOnlySpan<byte> header) => Crc32C.Append(keyAndValueCrc, header.Slice(4, Size - 4));

        /// <summary>Computes and stores the CRC of a header written by <see cref="WriteTo"/>.</summary>
        public static void Seal(Span<byte> header, uint keyAndValueCrc)
            => BinaryPrimitives.WriteUInt32LittleEndian(header, FinishCrc(keyAndValueCrc, header));

        /// <summary>A whole seal record for offset <paramref name="offset"/> of a version 2 segment, claiming <paramref name="syncedTo"/>.</summary>
        public static void WriteSealRecord(Span<byte> destination, SegmentFormat format, long offset, long syncedTo)
        {
            new RecordHeader(0, 0, 0, tombstone: false, syncedTo, seal: true).WriteTo(destination);
            Seal(destination, format.CrcSeed(offset));
        }

        public static uint StoredCrc(ReadOnlySpan<byte> header) => BinaryPrimitives.ReadUInt32LittleEndian(header);

        /// <summary>Reads a header of that format version; false if the magic, flags or lengths cannot be a record's.</summary>
        public static bool TryRead(ReadOnlySpan<byte> source, out RecordHeader header, int version = SegmentFormat.Current)
        {
            header = default;
            if (source.Length < Size || source[4] != Magic)
            {
                return false;
            }

            byte flags = source[5];
            int keyLength = BinaryPrimitives.ReadUInt16LittleEndian(source.Slice(6));
            ulong sequence = BinaryPrimitives.ReadUInt64LittleEndian(source.Slice(16));
            if (version == SegmentFormat.Legacy)
            {
                long valueLength = BinaryPrimitives.ReadInt64LittleEndian(source.Slice(8));
                if ((flags & ~TombstoneFlag) != 0 || valueLength < 0 || valueLength > int.MaxValue)
                {
                    return false;
                }

                header = new RecordHeader(keyLength, valueLength, sequence, (flags & TombstoneFlag) != 0);
                return !header.Tombstone || valueLength == 0;
            }

            uint length = BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(8));
            byte known = version >= SegmentFormat.WithExpiry ? (byte)(TombstoneFlag | SealFlag | ExpiresFlag) : (byte)(TombstoneFlag | SealFlag);
            if ((flags & ~known) != 0 || length > int.MaxValue)
            {
                return false;
            }

            // At most one of the three: a delete or a seal never expires.
            bool expires = (flags & ExpiresFlag) != 0;
            if ((flags & (flags - 1)) != 0)
            {
                return false;
            }

            header = new RecordHeader(keyLength, length, sequence, (flags & TombstoneFlag) != 0, BinaryPrimitives.ReadUInt32LittleEndian(source.Slice(12)), (flags & SealFlag) != 0, expires ? ExpiresUnread : 0);
            return header.IsSeal ? keyLength == 0 && length == 0 : !header.Tombstone || length == 0;
        }
    }
}
