using System;
using System.Buffers.Binary;

namespace EmbedKv.Server.Storage.Format
{
    /// <summary>
    /// How one segment's records are checked: its format version and, from version 2 on, the random
    /// salt in its header. A version 2 record's CRC starts from the salt and the record's own offset, so
    /// bytes that check at one place of one segment check nowhere else, and a client, who never sees the
    /// salt, cannot make a value that checks as a record (docs/storage.md, "The recovery rule").
    /// </summary>
    internal readonly record struct SegmentFormat(int Version, ulong Salt)
    {
        public const int Legacy = 1;

        /// <summary>The first salted version, with SyncedTo claims; still read.</summary>
        public const int Salted = 2;

        /// <summary>Version 3: records may carry an expiry (<see cref="RecordHeader.ExpiresFlag"/>).</summary>
        public const int WithExpiry = 3;

        /// <summary>The version every new segment is written in.</summary>
        public const int Current = WithExpiry;

        public static SegmentFormat V1 => new SegmentFormat(Legacy, 0);

        /// <summary>A salted format (version 2 or later).</summary>
        public static SegmentFormat Of(int version, ulong salt) => new SegmentFormat(version, salt);

        /// <summary>Where the first record starts (the default value counts as the current version).</summary>
        public int HeaderSize => Version == Legacy ? SegmentHeader.SizeV1 : SegmentHeader.Size;

        /// <summary>Whether records may expire: version 3 on.</summary>
        public bool HasExpiry => Version >= WithExpiry;

        /// <summary>Whether records carry SyncedTo claims (and seal records exist): version 2 on.</summary>
        public bool HasClaims => Version != Legacy;

        /// <summary>The CRC a record at <paramref name="offset"/> starts from, before its key.</summary>
        public uint CrcSeed(long offset)
        {
            if (Version == Legacy)
            {
                return 0;
            }

            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, Salt);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.Slice(8), offset);
            return Crc32C.Compute(bytes);
        }
    }
}
