using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Format;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// StoreCheck on real stores damaged by hand: each problem is reported with its file and offset (the
    /// offset the engine's own open reports), a torn tail is not damage, a check changes nothing, and a
    /// repair keeps every valid record before the damage and the damaged file itself.
    /// </summary>
    public sealed class StoreCheckTests : IDisposable
    {
        private const int ValueLength = 300;

        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public StoreCheckTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void ACleanStoreChecksCleanAndItsFilesAreCounted()
        {
            Dictionary<string, byte[]> live = WriteStore();
            Dictionary<string, byte[]> before = TornTailTests.Snapshot(_dir.Path);

            CheckReport report = Check();

            Assert.Empty(report.Findings);
            Assert.False(report.IsDamaged);
            Assert.Equal(live.Count, report.Keys);
            Assert.Equal(TornTailTests.SegmentFiles(_dir.Path).Count, report.Segments);
            Assert.Equal(TornTailTests.SegmentFiles(_dir.Path).Sum(name => new FileInfo(_dir.File(name)).Length), report.Bytes);
            Assert.Equal(2 + 38 + 1 + 1, report.Records); // hot, gone, k0..k37, hot again, the delete
            Assert.EndsWith("; no findings; clean", report.Summary, StringComparison.Ordinal);
            TornTailTests.AssertSameFiles(before, TornTailTests.Snapshot(_dir.Path));
        }

        [Theory]
        [InlineData("value")] // CRC mismatch, header intact
        [InlineData("magic")] // not a header at all
        [InlineData("crc")] // the stored CRC itself
        [InlineData("length-low")] // a value length a little off
        [InlineData("length-high")] // a value length far past the end of the file
        public void DamageInTheMiddleOfASegmentIsReportedAtTheOffsetTheStoreRefusesAt(string where)
        {
            WriteStore();
            List<long> offsets = RecordOffsets(1);
            long bad = offsets[2];
            long at = where switch
            {
                "value" => bad + RecordHeader.Size + 2 + 100,
                "magic" => bad + 4,
                "crc" => bad + 1,
                "length-low" => bad + 8,
                _ => bad + 10,
            };
            TornTailTests.FlipByte(_dir.File(FileNames.Segment(1)), at);
            Dictionary<string, byte[]> before = TornTailTests.Snapshot(_dir.Path);

            CheckReport report = Check();

            CheckFinding finding = Assert.Single(report.Findings);
            Assert.Equal(CheckFindingKind.Damaged, finding.Kind);
            Assert.Equal(FileNames.Segment(1), finding.File);
            Assert.Equal(bad, finding.Offset);
            Assert.StartsWith("damaged: seg-00000001.log at offset " + bad + ": ", finding.ToString(), StringComparison.Ordinal);
            Assert.True(report.IsDamaged);
            Assert.EndsWith("; 1 damaged; damaged", report.Summary, StringComparison.Ordinal);
            TornTailTests.AssertSameFiles(before, TornTailTests.Snapshot(_dir.Path));

            // The same verdict, at the same place, as the engine's own recovery.
            StorageCorruptedException e = Assert.Throws<StorageCorruptedException>(() => KvStore.Open(TornTailTests.Options(_dir.Path)).Dispose());
            Assert.Equal(finding.File, e.File);
            Assert.Equal(finding.Offset, e.Offset);
        }

        [Fact]
        public void ATornTailIsReportedWhereItStartsAndIsNotDamage()
        {
            WriteStore();
            string segment = NewestSegmentWithRecords();
            long length = new FileInfo(_dir.File(segment)).Length - RecordHeader.Size; // without its seal, as a crash before it leaves it
            long last = RecordOffsets(IdOf(segment)).Last();
            Truncate(_dir.File(segment), length - 7);
            Dictionary<string, byte[]> before = TornTailTests.Snapshot(_dir.Path);

            CheckReport report = Check();

            CheckFinding finding = Assert.Single(report.Findings);
            _output.WriteLine(finding.ToString());
            Assert.Equal(CheckFindingKind.TornTail, finding.Kind);
            Assert.Equal(segment, finding.File);
            Assert.Equal(last, finding.Offset);
            Assert.Contains("torn tail", finding.Detail, StringComparison.Ordinal);
            Assert.False(report.IsDamaged);
            TornTailTests.AssertSameFiles(before, TornTailTests.Snapshot(_dir.Path));

            // What opening then cuts off is exactly what the check pointed at.
            using KvStore store = KvStore.Open(TornTailTests.Options(_dir.Path));
            Assert.Equal(length - 7 - last, store.Recovery.TornBytesDropped);
        }

        [Fact]
        public void ABadSegmentHeaderIsDamageAtOffsetZeroAndAHeaderlessNewestSegmentIsNot()
        {
            WriteStore();
            TornTailTests.FlipByte(_dir.File(FileNames.Segment(2)), 9); // the id in the header
            uint newest = TornTailTests.SegmentFiles(_dir.Path).Max(IdOf) + 1;
            File.WriteAllBytes(_dir.File(FileNames.Segment(newest)), new byte[5]); // created, header never written

            CheckReport report = Check();

            Assert.Equal(2, report.Findings.Count);
            CheckFinding damaged = report.Findings.Single(f => f.IsDamage);
            Assert.Equal((FileNames.Segment(2), 0L), (damaged.File, damaged.Offset!.Value));
            Assert.Contains("bad segment header", damaged.Detail, StringComparison.Ordinal);
            CheckFinding torn = report.Findings.Single(f => !f.IsDamage);
            Assert.Equal((CheckFindingKind.TornHeader, FileNames.Segment(newest), 0L), (torn.Kind, torn.File, torn.Offset!.Value));
        }

        [Fact]
        public void LeftoversAreReportedButAreNotDamage()
        {
            WriteStore();
            File.WriteAllBytes(_dir.File("seg-00000077.partial"), new byte[123]);
            File.WriteAllBytes(_dir.File("seg-00000078.log.tmp"), new byte[45]);
            Dictionary<string, byte[]> before = TornTailTests.Snapshot(_dir.Path);

            CheckReport report = Check();

            Assert.False(report.IsDamaged);
            Assert.Equal(
                new[] { (CheckFindingKind.Leftover, "seg-00000077.partial"), (CheckFindingKind.Leftover, "seg-00000078.log.tmp") },
                report.Findings.Select(f => (f.Kind, f.File)).ToArray());
            Assert.Contains("123 bytes", report.Findings[0].Detail, StringComparison.Ordinal);
            TornTailTests.AssertSameFiles(before, TornTailTests.Snapshot(_dir.Path));
        }

        [Fact]
        public void AnInterruptedMergeIsReportedItsOutputsAreCheckedAndRepairFinishesItFirst()
        {
            // A merge of segment 2 into 99 that passed its commit point: output written, manifest in place.
            Dictionary<string, byte[]> live = WriteStore();
            uint output = 99;
            byte[] input = File.ReadAllBytes(_dir.File(FileNames.Segment(2)));
            Assert.True(SegmentHeader.TryRead(input, 2, out SegmentFormat format));
            SegmentHeader.Write(input, output, format); // the same salt, so the copied records still check
            File.WriteAllBytes(_dir.File(FileNames.SegmentTemp(output)), input);
            using (var directory = EmbedKv.Server.Storage.IO.NativeStorageDirectory.Open(_dir.Path))
            {
                EmbedKv.Server.Storage.Compaction.MergeManifest.Commit(directory, new[] { 2u }, new[] { output });
            }

            CheckReport report = Check();
            Assert.False(report.IsDamaged);
            Assert.Equal((CheckFindingKind.InterruptedMerge, FileNames.Manifest), (report.Findings.Single().Kind, report.Findings.Single().File));
            Assert.Equal(live.Count, report.Keys);

            // Damage in the output is found where opening would find it once the merge is finished.
            List<long> offsets = RecordOffsets(2);
            long bad = offsets[4];
            TornTailTests.FlipByte(_dir.File(FileNames.SegmentTemp(output)), bad + 3);
            CheckFinding damaged = Check().Findings.Single(f => f.IsDamage);
            Assert.Equal((FileNames.SegmentTemp(output), bad), (damaged.File, damaged.Offset!.Value));

            RepairReport repair = StoreCheck.Repair(_dir.Path);
            foreach (string action in repair.Actions)
            {
                _output.WriteLine(action);
            }

            Assert.StartsWith("finished the interrupted merge", repair.Actions[0], StringComparison.Ordinal);
            Assert.False(repair.After.IsDamaged);
            Assert.False(File.Exists(_dir.File(FileNames.Manifest)));
            Assert.Single(Directory.GetFiles(_dir.Path, FileNames.Segment(output) + ".damaged-*"));
            using KvStore store = KvStore.Open(TornTailTests.Options(_dir.Path));
            Assert.Equal(live.Count - (offsets.Count - 4), store.Count); // the output's records from the fifth on are lost (all k*, set once)
        }

        [Fact]
        public void CheckAndRepairRefuseWhileTheStoreIsOpenAndChangeNothing()
        {
            WriteStore();
            using (KvStore.Open(TornTailTests.Options(_dir.Path)))
            {
                Dictionary<string, byte[]> before = TornTailTests.Snapshot(_dir.Path);
                StorageLockedException e = Assert.Throws<StorageLockedException>(() => StoreCheck.Check(_dir.Path));
                Assert.Contains(_dir.Path, e.Message, StringComparison.Ordinal);
                Assert.Throws<StorageLockedException>(() => StoreCheck.Repair(_dir.Path));
                TornTailTests.AssertSameFiles(before, TornTailTests.Snapshot(_dir.Path));
            }

            // Refused, not broken: once the store is closed both run.
            Assert.False(Check().IsDamaged);
            Assert.Empty(StoreCheck.Repair(_dir.Path).Actions);
        }

        [Fact]
        public void CheckingAMissingDirectoryFailsWithoutCreatingIt()
        {
            string missing = _dir.File("not-there");
            Assert.ThrowsAny<IOException>(() => StoreCheck.Check(missing));
            Assert.ThrowsAny<IOException>(() => StoreCheck.Repair(missing));
            Assert.False(Directory.Exists(missing));
        }

        [Fact]
        public void RepairMovesTheDamagedSegmentAsideAndKeepsEveryValidRecordBeforeTheDamage()
        {
            Dictionary<string, byte[]> live = WriteStore();
            List<long> offsets = RecordOffsets(1);
            const int DamagedRecord = 3;
            TornTailTests.FlipByte(_dir.File(FileNames.Segment(1)), offsets[DamagedRecord] + RecordHeader.Size + 10);
            byte[] damagedBytes = File.ReadAllBytes(_dir.File(FileNames.Segment(1)));

            RepairReport repair = StoreCheck.Repair(_dir.Path);
            foreach (string action in repair.Actions)
            {
                _output.WriteLine(action);
            }

            Assert.True(repair.Before.IsDamaged);
            Assert.False(repair.After.IsDamaged);

            // The damaged file is still there, byte for byte, under a name the store never reads.
            string aside = Assert.Single(Directory.GetFiles(_dir.Path, FileNames.Segment(1) + ".damaged-*"));
            Assert.Equal(damagedBytes, File.ReadAllBytes(aside));
            Assert.False(File.Exists(_dir.File(FileNames.Segment(1))));
            Assert.Equal(CheckFindingKind.SetAside, Assert.Single(repair.After.Findings).Kind);

            // Segment 1 holds hot, gone, k0, k1, ...: k0 comes before the damage and stays; k1 on are lost. "hot" was
            // written in segment 1 and overwritten later: the salvaged old record has a higher segment id
            // but a lower sequence, so the newer value must still win. "gone" was deleted later: the
            // salvaged put must not bring it back.
            var lost = Enumerable.Range(DamagedRecord, offsets.Count - DamagedRecord).Select(i => "k" + (i - 2)).ToList();
            Assert.Equal("k1", lost[0]);
            using (KvStore store = KvStore.Open(TornTailTests.Options(_dir.Path)))
            {
                foreach ((string key, byte[] value) in live)
                {
                    byte[]? actual = store.Get(Key(key));
                    if (lost.Contains(key))
                    {
                        Assert.True(actual is null, key + " came from after the damage");
                    }
                    else
                    {
                        Assert.True(actual is not null && value.AsSpan().SequenceEqual(actual), key + " is missing or has other bytes");
                    }
                }

                Assert.Null(store.Get(Key("gone")));
                Assert.Equal(live.Count - lost.Count, store.Count);
            }

            CheckReport again = Check();
            Assert.False(again.IsDamaged);
            Assert.Equal(live.Count - lost.Count, again.Keys);
        }

        [Fact]
        public void RepairOfACleanStoreChangesNothing()
        {
            WriteStore();
            Dictionary<string, byte[]> before = TornTailTests.Snapshot(_dir.Path);
            RepairReport repair = StoreCheck.Repair(_dir.Path);
            Assert.Empty(repair.Actions);
            Assert.False(repair.After.IsDamaged);
            TornTailTests.AssertSameFiles(before, TornTailTests.Snapshot(_dir.Path));
        }

        [Fact]
        public void RepairOfABadHeaderKeepsTheRecordsChainedFromTheFirst()
        {
            Dictionary<string, byte[]> live = WriteStore();
            TornTailTests.FlipByte(_dir.File(FileNames.Segment(2)), 0);

            RepairReport repair = StoreCheck.Repair(_dir.Path);

            Assert.False(repair.After.IsDamaged);
            Assert.Equal(live.Count, repair.After.Keys);
            using KvStore store = KvStore.Open(TornTailTests.Options(_dir.Path));
            foreach ((string key, byte[] value) in live)
            {
                Assert.Equal(value, store.Get(Key(key)));
            }
        }

        /// <summary>
        /// Writes k0..k39 (300-byte values) over 4 KiB segments: segment 1 holds "hot", "gone", then k0 on.
        /// "hot" is overwritten and "gone" deleted at the end, in later segments. Returns the live keys.
        /// </summary>
        private Dictionary<string, byte[]> WriteStore()
        {
            StoreOptions options = TornTailTests.Options(_dir.Path);
            options.SegmentSize = 4096;
            var live = new Dictionary<string, byte[]>();
            using (KvStore store = KvStore.Open(options))
            {
                store.Put(Key("hot"), Value(1));
                store.Put(Key("gone"), Value(2));
                for (int i = 0; i < 38; i++)
                {
                    live["k" + i] = Value(10 + i);
                    store.Put(Key("k" + i), live["k" + i]);
                }

                live["hot"] = Value(99);
                store.Put(Key("hot"), live["hot"]);
                store.Delete(Key("gone"));
            }

            Assert.True(TornTailTests.SegmentFiles(_dir.Path).Count >= 3);
            return live;
        }

        /// <summary>Offsets of a clean segment's data records (seals skipped), by their own header's lengths.</summary>
        private List<long> RecordOffsets(uint id)
        {
            byte[] bytes = File.ReadAllBytes(_dir.File(FileNames.Segment(id)));
            var offsets = new List<long>();
            for (long offset = SegmentHeader.Size; offset < bytes.Length;)
            {
                Assert.True(RecordHeader.TryRead(bytes.AsSpan((int)offset), out RecordHeader header));
                if (!header.IsSeal)
                {
                    offsets.Add(offset);
                }

                offset += header.RecordLength;
            }

            return offsets;
        }

        private string NewestSegmentWithRecords()
            => TornTailTests.SegmentFiles(_dir.Path).Last(name => new FileInfo(_dir.File(name)).Length > SegmentHeader.Size);

        private CheckReport Check()
        {
            CheckReport report = StoreCheck.Check(_dir.Path);
            foreach (CheckFinding finding in report.Findings)
            {
                _output.WriteLine(finding.ToString());
            }

            _output.WriteLine(report.Summary);
            return report;
        }

        private static void Truncate(string file, long length)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Write);
            stream.SetLength(length);
        }

        private static uint IdOf(string name) => FileNames.TryParseSegment(name, out uint id) ? id : 0;

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);

        private static byte[] Value(int seed)
        {
            byte[] bytes = new byte[ValueLength];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }
    }
}
