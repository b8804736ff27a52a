using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Format;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// Data directories written before segment format 2 (docs/storage.md, "Version 1 segments"): they
    /// open and read back, keep version 1's recovery rule, and a merge rewrites their records as version 2.
    /// </summary>
    public sealed class LegacyFormatTests : IDisposable
    {
        private static ReadOnlySpan<byte> MagicV1 => "EKVSEG\0\u0001"u8;

        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void AVersion1DirectoryOpensReadsBackAndAMergeRewritesItInTheCurrentVersion()
        {
            // Segment 1: a, b, c, then a again and a delete of c (so it has dead bytes and is merged).
            // Segment 2: d, then a torn tail, as a crash of the old version left it.
            WriteV1Segment(1, new[] { ("a", "one", false), ("b", "two", false), ("c", "three", false), ("a", "four", false), ("c", string.Empty, true) }, firstSequence: 1);
            long end = WriteV1Segment(2, new[] { ("d", "five", false), ("e", "torn", false) }, firstSequence: 6);
            using (var stream = new FileStream(_dir.File(FileNames.Segment(2)), FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(end - 3);
            }

            CheckReport check = StoreCheck.Check(_dir.Path);
            Assert.False(check.IsDamaged);
            Assert.Equal(CheckFindingKind.TornTail, Assert.Single(check.Findings).Kind);

            StoreOptions options = TornTailTests.Options(_dir.Path);
            var expected = new Dictionary<string, string> { ["a"] = "four", ["b"] = "two", ["d"] = "five", ["new"] = "six" };
            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(RecordHeader.LengthOf(1, 4) - 3, store.Recovery.TornBytesDropped);
                Assert.Null(store.Get(Key("c")));
                Assert.Null(store.Get(Key("e")));
                store.Put(Key("new"), Key("six")); // written as version 2 into a new segment
                AssertHolds(store, expected);

                Assert.True(store.Compact() >= 1);
                Assert.False(File.Exists(_dir.File(FileNames.Segment(1))), "the version 1 segment with dead bytes was not merged");
                AssertHolds(store, expected);
            }

            // The merge's output is the current version, with its own salt, and every record in it checks.
            foreach (string name in TornTailTests.SegmentFiles(_dir.Path).Where(n => n != FileNames.Segment(2)))
            {
                Assert.True(File.ReadAllBytes(_dir.File(name)).AsSpan(0, 8).SequenceEqual("EKVSEG\0\u0003"u8), name + " is not version 3");
            }

            Assert.False(StoreCheck.Check(_dir.Path).IsDamaged);
            using (KvStore store = KvStore.Open(options))
            {
                AssertHolds(store, expected);
                Assert.Equal(expected.Count, store.Count);
            }
        }

        [Fact]
        public void DamageInTheMiddleOfAVersion1SegmentIsStillReported()
        {
            WriteV1Segment(1, new[] { ("a", "one", false), ("b", "two", false), ("c", "three", false) }, firstSequence: 1);
            long second = SegmentHeader.SizeV1 + RecordHeader.LengthOf(1, 3);
            TornTailTests.FlipByte(_dir.File(FileNames.Segment(1)), second + RecordHeader.Size + 1);

            StorageCorruptedException e = Assert.Throws<StorageCorruptedException>(() => KvStore.Open(TornTailTests.Options(_dir.Path)).Dispose());
            Assert.Equal((FileNames.Segment(1), second), (e.File, e.Offset));
            CheckFinding finding = Assert.Single(StoreCheck.Check(_dir.Path).Findings);
            Assert.Equal((CheckFindingKind.Damaged, (long?)second), (finding.Kind, finding.Offset));

            // Repair keeps version 1 (its records check only as such) and the record before the damage.
            Assert.False(StoreCheck.Repair(_dir.Path).After.IsDamaged);
            using KvStore store = KvStore.Open(TornTailTests.Options(_dir.Path));
            Assert.Equal(Key("one"), store.Get(Key("a")));
            Assert.Equal(1, store.Count);
        }

        /// <summary>A version 1 segment, as the store wrote it before format 2: 16-byte header, unsalted CRCs, 8-byte value lengths.</summary>
        private long WriteV1Segment(uint id, (string Key, string Value, bool Tombstone)[] records, ulong firstSequence)
        {
            var bytes = new List<byte>();
            byte[] header = new byte[SegmentHeader.SizeV1];
            MagicV1.CopyTo(header);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), id);
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), Crc32C.Compute(header.AsSpan(0, 12)));
            bytes.AddRange(header);
            ulong sequence = firstSequence;
            foreach ((string key, string value, bool tombstone) in records)
            {
                byte[] k = Key(key);
                byte[] v = Key(value);
                byte[] record = new byte[RecordHeader.Size + k.Length + v.Length];
                record[4] = RecordHeader.Magic;
                record[5] = tombstone ? RecordHeader.TombstoneFlag : (byte)0;
                BinaryPrimitives.WriteUInt16LittleEndian(record.AsSpan(6), (ushort)k.Length);
                BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(8), v.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(record.AsSpan(16), sequence++);
                k.CopyTo(record, RecordHeader.Size);
                v.CopyTo(record, RecordHeader.Size + k.Length);
                uint crc = Crc32C.Append(Crc32C.Append(Crc32C.Compute(k), v), record.AsSpan(4, 20));
                BinaryPrimitives.WriteUInt32LittleEndian(record, crc);
                bytes.AddRange(record);
            }

            File.WriteAllBytes(_dir.File(FileNames.Segment(id)), bytes.ToArray());
            return bytes.Count;
        }

        private static void AssertHolds(KvStore store, Dictionary<string, string> expected)
        {
            foreach ((string key, string value) in expected)
            {
                Assert.Equal(Key(value), store.Get(Key(key)));
            }
        }

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);
    }
}
