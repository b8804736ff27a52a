using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>The on-disk format of docs/storage.md: record header, record CRC, segment header, file names.</summary>
    public sealed class RecordFormatTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        private static readonly SegmentFormat Salted = SegmentFormat.Of(SegmentFormat.Salted, 0x0123456789ABCDEF);

        [Theory]
        [InlineData(0, 0L, 1UL, false, 0L)]
        [InlineData(5, 11L, 42UL, false, 4096L)]
        [InlineData(65535, int.MaxValue, ulong.MaxValue, false, (long)uint.MaxValue)]
        [InlineData(3, 0L, 7UL, true, 24L)]
        public void HeaderRoundTrips(int keyLength, long valueLength, ulong sequence, bool tombstone, long syncedTo)
        {
            var header = new RecordHeader(keyLength, valueLength, sequence, tombstone, syncedTo);
            byte[] bytes = new byte[RecordHeader.Size];
            header.WriteTo(bytes);

            // The documented layout (version 2), byte for byte.
            Assert.Equal(0u, BinaryPrimitives.ReadUInt32LittleEndian(bytes)); // CRC not sealed yet
            Assert.Equal(0xEB, bytes[4]);
            Assert.Equal(tombstone ? 1 : 0, bytes[5]);
            Assert.Equal(keyLength, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6)));
            Assert.Equal(valueLength, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
            Assert.Equal(syncedTo, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
            Assert.Equal(sequence, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));

            Assert.True(RecordHeader.TryRead(bytes, out RecordHeader read));
            Assert.Equal(keyLength, read.KeyLength);
            Assert.Equal(valueLength, read.ValueLength);
            Assert.Equal(sequence, read.Sequence);
            Assert.Equal(tombstone, read.Tombstone);
            Assert.Equal(syncedTo, read.SyncedTo);
            Assert.False(read.IsSeal);
            Assert.Equal(RecordHeader.Size + keyLength + valueLength, read.RecordLength);
            Assert.Equal(read.RecordLength, RecordHeader.LengthOf(keyLength, valueLength));
        }

        [Fact]
        public void CrcCoversSaltOffsetKeyValueThenHeaderBytes4To24()
        {
            byte[] key = Encoding.ASCII.GetBytes("key-1");
            byte[] value = Encoding.ASCII.GetBytes("the value");
            byte[] record = Record(key, value, sequence: 9, tombstone: false, Salted, offset: 1000);

            byte[] saltAndOffset = new byte[16];
            BinaryPrimitives.WriteUInt64LittleEndian(saltAndOffset, Salted.Salt);
            BinaryPrimitives.WriteInt64LittleEndian(saltAndOffset.AsSpan(8), 1000);
            byte[] covered = saltAndOffset.Concat(key).Concat(value).Concat(record.Skip(4).Take(20)).ToArray();
            Assert.Equal(Crc32C.Compute(covered), RecordHeader.StoredCrc(record));

            // Version 1 (still read): no salt, no offset.
            byte[] legacy = key.Concat(value).Concat(record.Skip(4).Take(20)).ToArray();
            Assert.Equal(Crc32C.Compute(legacy), RecordHeader.FinishCrc(Crc32C.Append(SegmentFormat.V1.CrcSeed(1000), key.Concat(value).ToArray()), record));
        }

        [Fact]
        public void ARecordChecksOnlyAtItsOwnOffsetOfItsOwnSegment()
        {
            byte[] record = Record(Encoding.ASCII.GetBytes("key-1"), Encoding.ASCII.GetBytes("a value"), sequence: 3, tombstone: false, Salted, offset: SegmentHeader.Size);
            Assert.True(ReadFirstRecord(record).Ok);
            Assert.False(ReadFirstRecord(record, SegmentFormat.Of(SegmentFormat.Salted, Salted.Salt + 1)).Ok, "another segment's salt");
            Assert.False(ReadFirstRecord(record, SegmentFormat.V1).Ok, "as a version 1 record");

            byte[] elsewhere = Record(Encoding.ASCII.GetBytes("key-1"), Encoding.ASCII.GetBytes("a value"), sequence: 3, tombstone: false, Salted, offset: SegmentHeader.Size + 1);
            Assert.False(ReadFirstRecord(elsewhere).Ok, "a record made for another offset");
        }

        [Fact]
        public void ASealRecordHasNoKeyNorValueAndChecksLikeAnyRecord()
        {
            byte[] seal = new byte[RecordHeader.Size];
            RecordHeader.WriteSealRecord(seal, Salted, SegmentHeader.Size, 4096);
            Assert.Equal(RecordHeader.SealFlag, seal[5]);
            Assert.True(RecordHeader.TryRead(seal, out RecordHeader header));
            Assert.True(header.IsSeal);
            Assert.Equal(4096, header.SyncedTo);
            Assert.Equal(RecordHeader.Size, header.RecordLength);
            (bool ok, string? problem, string? key) = ReadFirstRecord(seal);
            Assert.True(ok, problem);
            Assert.Equal(string.Empty, key);

            seal[13] ^= 1;
            Assert.False(ReadFirstRecord(seal).Ok, "a changed claim");
        }

        [Fact]
        public void FlippingAnyByteOfARecordFailsTheCheck()
        {
            byte[] key = Encoding.ASCII.GetBytes("key-1");
            byte[] value = Encoding.ASCII.GetBytes("eleven byte");
            byte[] record = Record(key, value, sequence: 3, tombstone: false, Salted, SegmentHeader.Size);
            Assert.Equal(40, record.Length);

            // The untouched record reads back through the real reader on a real file.
            (bool ok, string? problem, string? readKey) = ReadFirstRecord(record);
            Assert.True(ok, problem);
            Assert.Equal("key-1", readKey);

            foreach (byte mask in new byte[] { 0x01, 0x80 })
            {
                for (int i = 0; i < record.Length; i++)
                {
                    byte[] damaged = (byte[])record.Clone();
                    damaged[i] ^= mask;
                    (ok, problem, _) = ReadFirstRecord(damaged);
                    Assert.False(ok, "flipping byte " + i + " with mask " + mask + " went unnoticed");
                    Assert.NotNull(problem);
                }
            }
        }

        [Fact]
        public void ATombstoneRecordIsChecked()
        {
            byte[] record = Record(Encoding.ASCII.GetBytes("gone"), ReadOnlySpan<byte>.Empty, sequence: 5, tombstone: true, Salted, SegmentHeader.Size);
            (bool ok, string? problem, string? key) = ReadFirstRecord(record);
            Assert.True(ok, problem);
            Assert.Equal("gone", key);

            record[^1] ^= 0x20; // last key byte
            Assert.False(ReadFirstRecord(record).Ok);
        }

        [Fact]
        public void TryReadRejectsWhatCannotBeAHeader()
        {
            byte[] good = new byte[RecordHeader.Size];
            new RecordHeader(4, 10, 1, tombstone: false).WriteTo(good);
            Assert.True(RecordHeader.TryRead(good, out _));

            Assert.False(RecordHeader.TryRead(good.AsSpan(0, RecordHeader.Size - 1), out _), "short");

            byte[] bytes = (byte[])good.Clone();
            bytes[4] = 0xEA;
            Assert.False(RecordHeader.TryRead(bytes, out _), "wrong magic");

            foreach (byte flags in new byte[] { 0x02, 0x80, 0x03, 0x05, 0x06, 0x08 })
            {
                bytes = (byte[])good.Clone();
                bytes[5] = flags;
                Assert.False(RecordHeader.TryRead(bytes, out _), "unknown flags, a seal with a key or value, or an expiring delete or seal: " + flags);
            }

            // The expiry flag exists from version 3 on; its value comes from the trailer, which the reader reads.
            bytes = (byte[])good.Clone();
            bytes[5] = RecordHeader.ExpiresFlag;
            Assert.True(RecordHeader.TryRead(bytes, out RecordHeader expiring));
            Assert.Equal(RecordHeader.LengthOf(4, 10) + RecordHeader.TrailerSize, expiring.RecordLength);
            Assert.False(RecordHeader.TryRead(bytes, out _, SegmentFormat.Salted), "no expiry in version 2");

            bytes = (byte[])good.Clone();
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), uint.MaxValue);
            Assert.False(RecordHeader.TryRead(bytes, out _), "oversized value length");

            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)int.MaxValue + 1);
            Assert.False(RecordHeader.TryRead(bytes, out _), "oversized value length");

            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), int.MaxValue);
            Assert.True(RecordHeader.TryRead(bytes, out _), "the largest value length is allowed");

            // Version 1 headers: an 8-byte value length, no claim, no seal flag.
            bytes = (byte[])good.Clone();
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), 10);
            Assert.True(RecordHeader.TryRead(bytes, out RecordHeader legacy, SegmentFormat.Legacy));
            Assert.Equal(10, legacy.ValueLength);
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), -1);
            Assert.False(RecordHeader.TryRead(bytes, out _, SegmentFormat.Legacy), "negative value length");
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), (long)int.MaxValue + 1);
            Assert.False(RecordHeader.TryRead(bytes, out _, SegmentFormat.Legacy), "oversized value length");
            bytes[5] = RecordHeader.SealFlag;
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), 0);
            Assert.False(RecordHeader.TryRead(bytes, out _, SegmentFormat.Legacy), "no seals in version 1");

            bytes = (byte[])good.Clone();
            bytes[5] = RecordHeader.TombstoneFlag; // with value length 10
            Assert.False(RecordHeader.TryRead(bytes, out _), "a tombstone with a value");
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 0);
            Assert.True(RecordHeader.TryRead(bytes, out RecordHeader tombstone), "an empty tombstone");
            Assert.True(tombstone.Tombstone);
        }

        [Fact]
        public void SegmentHeaderIsValidOnlyForItsOwnId()
        {
            byte[] header = new byte[SegmentHeader.Size];
            SegmentFormat format = SegmentHeader.Write(header, 7);

            Assert.Equal("EKVSEG\0\u0003"u8.ToArray(), header.AsSpan(0, 8).ToArray());
            Assert.Equal(7u, BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)));
            Assert.Equal(format.Salt, BinaryPrimitives.ReadUInt64LittleEndian(header.AsSpan(12)));
            Assert.NotEqual(0UL, format.Salt);
            Assert.Equal(Crc32C.Compute(header.AsSpan(0, 20)), BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(20)));

            Assert.True(SegmentHeader.TryRead(header, 7, out SegmentFormat read));
            Assert.Equal(format, read);
            Assert.False(SegmentHeader.IsValid(header, 8), "wrong id");
            Assert.False(SegmentHeader.IsValid(header.AsSpan(0, SegmentHeader.Size - 1), 7), "short");

            for (int i = 0; i < SegmentHeader.Size; i++)
            {
                byte[] damaged = (byte[])header.Clone();
                damaged[i] ^= 0x01;
                Assert.False(SegmentHeader.IsValid(damaged, 7), "flipping byte " + i + " went unnoticed");
            }

            // A different format version with a CRC that matches it is still not ours.
            byte[] version4 = (byte[])header.Clone();
            version4[7] = 4;
            BinaryPrimitives.WriteUInt32LittleEndian(version4.AsSpan(20), Crc32C.Compute(version4.AsSpan(0, 20)));
            Assert.False(SegmentHeader.IsValid(version4, 7), "wrong magic or version");

            // A header whose id field says 8, with a correct CRC, belongs to segment 8 only.
            byte[] other = new byte[SegmentHeader.Size];
            SegmentHeader.Write(other, 8);
            Assert.False(SegmentHeader.IsValid(other, 7));
            Assert.True(SegmentHeader.IsValid(other, 8));
            Assert.NotEqual(format.Salt, BinaryPrimitives.ReadUInt64LittleEndian(other.AsSpan(12)));

            // Version 1 (16 bytes) is still read.
            byte[] legacy = new byte[SegmentHeader.SizeV1];
            SegmentHeader.Write(legacy, 7, SegmentFormat.V1);
            Assert.Equal("EKVSEG\0\u0001"u8.ToArray(), legacy.AsSpan(0, 8).ToArray());
            Assert.Equal(Crc32C.Compute(legacy.AsSpan(0, 12)), BinaryPrimitives.ReadUInt32LittleEndian(legacy.AsSpan(12)));
            Assert.True(SegmentHeader.TryRead(legacy, 7, out read));
            Assert.Equal(SegmentFormat.V1, read);
            Assert.Equal(16, read.HeaderSize);
        }

        [Theory]
        [InlineData(1u, "seg-00000001.log")]
        [InlineData(12u, "seg-00000012.log")]
        [InlineData(99_999_999u, "seg-99999999.log")]
        [InlineData(100_000_000u, "seg-100000000.log")]
        [InlineData(uint.MaxValue, "seg-4294967295.log")]
        public void SegmentNamesRoundTrip(uint id, string name)
        {
            Assert.Equal(name, FileNames.Segment(id));
            Assert.Equal(name + ".tmp", FileNames.SegmentTemp(id));
            Assert.Equal(name.Replace(".log", ".partial", StringComparison.Ordinal), FileNames.Partial(id));

            // Every name the store writes must parse back, or recovery would silently skip the segment.
            Assert.True(FileNames.TryParseSegment(name, out uint parsed), name);
            Assert.Equal(id, parsed);

            Assert.False(FileNames.TryParseSegment(FileNames.SegmentTemp(id), out _));
            Assert.False(FileNames.TryParseSegment(FileNames.Partial(id), out _));
            Assert.True(FileNames.IsLeftover(FileNames.SegmentTemp(id)));
            Assert.True(FileNames.IsLeftover(FileNames.Partial(id)));
            Assert.False(FileNames.IsLeftover(name));
        }

        [Theory]
        [InlineData("seg-0000001.log")] // too few digits
        [InlineData("seg-000000001.log")] // not the canonical spelling of 1
        [InlineData("seg-0000001a.log")]
        [InlineData("seg--0000001.log")]
        [InlineData("seg-+0000001.log")]
        [InlineData("seg- 0000001.log")]
        [InlineData("seg-00000001.lo")]
        [InlineData("seg-00000001.log.tmp")]
        [InlineData("SEG-00000001.log")]
        [InlineData("seg-4294967296.log")] // past uint
        [InlineData("seg-99999999999.log")]
        [InlineData("seg-.log")]
        [InlineData("merge.manifest")]
        [InlineData("")]
        public void OtherNamesAreNotSegments(string name) => Assert.False(FileNames.TryParseSegment(name, out _), name);

        [Fact]
        public void ManifestNamesAndLeftovers()
        {
            Assert.Equal("merge.manifest", FileNames.Manifest);
            Assert.Equal("merge.manifest.tmp", FileNames.ManifestTemp);
            Assert.True(FileNames.IsLeftover(FileNames.ManifestTemp));
            Assert.False(FileNames.IsLeftover(FileNames.Manifest));
        }

        /// <summary>A whole record as <c>WriteLog</c> writes it at <paramref name="offset"/> of a segment of that format: header, key, value, CRC sealed.</summary>
        internal static byte[] Record(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ulong sequence, bool tombstone, SegmentFormat format, long offset)
        {
            byte[] record = new byte[RecordHeader.Size + key.Length + value.Length];
            new RecordHeader(key.Length, value.Length, sequence, tombstone).WriteTo(record);
            key.CopyTo(record.AsSpan(RecordHeader.Size));
            value.CopyTo(record.AsSpan(RecordHeader.Size + key.Length));
            RecordHeader.Seal(record, Crc32C.Append(Crc32C.Append(format.CrcSeed(offset), key), value));
            return record;
        }

        /// <summary>Writes a segment holding <paramref name="record"/> and reads it back with <see cref="RecordReader"/>.</summary>
        private (bool Ok, string? Problem, string? Key) ReadFirstRecord(byte[] record, SegmentFormat? format = null)
        {
            SegmentFormat segment = format ?? Salted;
            var bytes = new List<byte>();
            byte[] header = new byte[SegmentHeader.Size];
            SegmentHeader.Write(header, 1, segment);
            bytes.AddRange(header.AsSpan(0, segment.HeaderSize).ToArray());
            bytes.AddRange(record);
            File.WriteAllBytes(_dir.File(FileNames.Segment(1)), bytes.ToArray());

            using NativeStorageDirectory directory = NativeStorageDirectory.Open(_dir.Path);
            using IStorageFile file = directory.Open(FileNames.Segment(1), FileMode.Open);
            var reader = new RecordReader();
            reader.Open(file, segment);
            if (!reader.TryReadNext(out ReadOnlySpan<byte> key))
            {
                return (false, reader.Problem, null);
            }

            string text = Encoding.ASCII.GetString(key);
            Assert.Equal(segment.HeaderSize, reader.RecordOffset);
            Assert.Equal(segment.HeaderSize + record.Length, reader.Position);
            Assert.False(reader.TryReadNext(out _)); // clean end of file
            Assert.Null(reader.Problem);
            return (true, null, text);
        }
    }
}
