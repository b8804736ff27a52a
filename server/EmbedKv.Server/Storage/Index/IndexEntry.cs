using System.Runtime.InteropServices;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// One key's entry in <see cref="KeyIndex"/>'s dense entry array, laid out by hand in 32 bytes of
    /// native memory: two entries per 64-byte cache line, and no object header or GC reference.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Size = 32)]
    internal struct IndexEntry
    {
        /// <summary>The key's byte offset in the key arena; for a free entry, the next free entry's number + 1 (0 ends the list).</summary>
        public ulong KeyOffset;     // bytes 0..8

        /// <summary>The segment id of the key's latest record.</summary>
        public uint Segment;        // bytes 8..12

        /// <summary>The offset of that record's header in its segment.</summary>
        public uint Offset;         // bytes 12..16

        /// <summary>The length of that record's value.</summary>
        public uint ValueLength;    // bytes 16..20

        /// <summary>The key's length in bytes.</summary>
        public ushort KeyLength;    // bytes 20..22

        /// <summary><see cref="TombstoneFlag"/> and <see cref="FreeFlag"/>.</summary>
        public byte Flags;          // byte 22; byte 23 is padding

        /// <summary>That record's sequence number.</summary>
        public ulong Sequence;      // bytes 24..32

        /// <summary>Set when the latest record is a delete marker (only during recovery).</summary>
        public const byte TombstoneFlag = 1;

        /// <summary>Set while the entry is on the free list: it belongs to no key.</summary>
        public const byte FreeFlag = 2;

        /// <summary>The entry's location, as callers see it.</summary>
        public readonly RecordLocation Location
            => new RecordLocation(Segment, Offset, ValueLength, Sequence, (Flags & TombstoneFlag) != 0);

        /// <summary>Stores a location (the key fields are left alone).</summary>
        /// <param name="location">The location.</param>
        public void SetLocation(in RecordLocation location)
        {
            Segment = location.Segment;
            Offset = location.Offset;
            ValueLength = location.ValueLength;
            Sequence = location.Sequence;
            Flags = location.Tombstone ? TombstoneFlag : (byte)0;
        }
    }
}
