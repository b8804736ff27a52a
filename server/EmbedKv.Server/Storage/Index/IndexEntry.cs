using System.Runtime.InteropServices;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// One key's entry in <see cref="KeyIndex"/>'s dense entry array, laid out by hand in 32 bytes of
    /// native memory with no object header or GC reference. The key's arena offset (40 bits: a 1 TiB
    /// arena), its length (16 bits) and the flags (8 bits) share one word so that an entry stays under
    /// the index's budget of 64 bytes a key, hash slots and the ordered index included (benchmarked in
    /// bench/results/storage.md). The expiry takes 4 bytes (Unix seconds, enough until 2106): reads and
    /// listings must skip expired keys without touching the disk.
    /// </summary>
    [StructLayout(LayoutKind.Sequential, Pack = 4, Size = 32)]
    internal struct IndexEntry
    {
        /// <summary>Largest key arena offset the packed word holds.</summary>
        public const ulong MaxKeyOffset = (1UL << 40) - 1;

        private ulong _key;         // bytes 0..8: offset (40 bits) | length (16) | flags (8)

        /// <summary>The segment id of the key's latest record.</summary>
        public uint Segment;        // bytes 8..12

        /// <summary>The offset of that record's header in its segment.</summary>
        public uint Offset;         // bytes 12..16

        /// <summary>The length of that record's value.</summary>
        public uint ValueLength;    // bytes 16..20

        /// <summary>That record's sequence number.</summary>
        public ulong Sequence;      // bytes 20..28 (4-aligned; x86-64 reads it unaligned at no cost)

        /// <summary>When that record's value expires, in Unix seconds; 0 if never.</summary>
        public uint Expires;        // bytes 28..32

        /// <summary>The key's byte offset in the key arena; for a free entry, the next free entry's number + 1 (0 ends the list).</summary>
        public ulong KeyOffset
        {
            readonly get => _key & MaxKeyOffset;
            set => _key = (_key & ~MaxKeyOffset) | (value & MaxKeyOffset);
        }

        /// <summary>The key's length in bytes.</summary>
        public ushort KeyLength
        {
            readonly get => (ushort)(_key >> 40);
            set => _key = (_key & ~(0xFFFFUL << 40)) | ((ulong)value << 40);
        }

        /// <summary><see cref="TombstoneFlag"/> and <see cref="FreeFlag"/>.</summary>
        public byte Flags
        {
            readonly get => (byte)(_key >> 56);
            set => _key = (_key & ~(0xFFUL << 56)) | ((ulong)value << 56);
        }

        /// <summary>Set when the latest record is a delete marker (only during recovery).</summary>
        public const byte TombstoneFlag = 1;

        /// <summary>Set while the entry is on the free list: it belongs to no key.</summary>
        public const byte FreeFlag = 2;

        /// <summary>The entry's location, as callers see it.</summary>
        public readonly RecordLocation Location
            => new RecordLocation(Segment, Offset, ValueLength, Sequence, (Flags & TombstoneFlag) != 0, Expires);

        /// <summary>Stores a location (the key fields are left alone).</summary>
        /// <param name="location">The location.</param>
        public void SetLocation(in RecordLocation location)
        {
            Segment = location.Segment;
            Offset = location.Offset;
            ValueLength = location.ValueLength;
            Sequence = location.Sequence;
            Expires = location.Expires;
            Flags = location.Tombstone ? TombstoneFlag : (byte)0;
        }
    }
}
