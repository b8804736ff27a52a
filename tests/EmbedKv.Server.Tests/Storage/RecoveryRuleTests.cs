using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.Writes;
using EmbedKv.Server.Tests.Storage.FaultInjection;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// Issue 10, defect 4: no value content can change how recovery reads the log; bytes past the last
    /// sync may persist in any order without blocking an open or losing a synced record; damage in synced
    /// data, the last round before a seal included, is still reported with file and offset.
    /// </summary>
    public sealed class RecoveryRuleTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public RecoveryRuleTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData("version-1-image")] // what the old format accepted anywhere in a file
        [InlineData("version-2-image")] // today's format, for a salt the client guessed, claiming everything synced
        public void AValueHoldingARecordImageCannotStopATornTailFromBeingCutOff(string kind)
        {
            var earlier = new Dictionary<string, byte[]>();
            long start;
            using (KvStore store = KvStore.Open(TornTailTests.Options(_dir.Path)))
            {
                for (int i = 0; i < 10; i++)
                {
                    earlier["key-" + i] = Value(100, seed: i);
                    store.Put(Key("key-" + i), earlier["key-" + i]);
                }

                start = new FileInfo(_dir.File(FileNames.Segment(1))).Length;
                byte[] big = Value(10 * 1024, seed: 77);
                long imageAt = start + RecordHeader.Size + "big".Length + 1000;
                byte[] image = RecordImage(kind, imageAt);
                image.CopyTo(big, 1000);
                store.Put(Key("big"), big);
            }

            // A crash in the middle of the big record, after the image.
            string segment = _dir.File(FileNames.Segment(1));
            long cut = start + RecordHeader.Size + "big".Length + 5000;
            using (var stream = new FileStream(segment, FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(cut);
            }

            Assert.False(StoreCheck.Check(_dir.Path).IsDamaged);
            using (KvStore store = KvStore.Open(TornTailTests.Options(_dir.Path)))
            {
                Assert.Equal(cut - start, store.Recovery.TornBytesDropped);
                Assert.Null(store.Get(Key("big")));
                Assert.Null(store.Get(Key("forged")));
                foreach ((string key, byte[] value) in earlier)
                {
                    Assert.Equal(value, store.Get(Key(key)));
                }
            }
        }

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(4)]
        [InlineData(5)]
        [InlineData(6)]
        [InlineData(7)]
        [InlineData(8)]
        public void PagesPastTheLastSyncPersistingInAnyOrderNeverBlockOpeningNorLoseASyncedRecord(int seed)
        {
            var directory = new FaultInjectingDirectory(_dir.Path);
            int holding = 0;
            using var release = new ManualResetEventSlim(false);
            directory.BeforeSlowCall = (operation, _) =>
            {
                if (operation == "datasync" && Volatile.Read(ref holding) == 1)
                {
                    release.Wait();
                }
            };

            var options = new StoreOptions { DataDirectory = _dir.Path, Durability = Durability.Always, SegmentSize = 1 << 20, AutomaticCompaction = false };
            KvStore store = KvStore.Open(options, directory);
            var synced = new Dictionary<string, byte[]>();
            for (int i = 0; i < 40; i++)
            {
                synced["synced-" + i] = Value(500 + (i * 97 % 2500), seed: i);
                store.Put(Key("synced-" + i), synced["synced-" + i]);
            }

            // Appended but never synced: the commit thread is held before its fdatasync.
            Volatile.Write(ref holding, 1);
            var unsynced = new Dictionary<string, byte[]>();
            var completion = new Completions();
            for (int i = 0; i < 60; i++)
            {
                unsynced["late-" + i] = Value(300 + (i * 131 % 3000), seed: 1000 + i);
                store.BeginPut(Key("late-" + i), unsynced["late-" + i], completion, (ulong)i);
            }

            directory.Crash(tearing: new Random(seed), pages: new Random(seed * 31));
            release.Set();
            CrashRecoveryTests.DisposeDead(store);
            Assert.Equal(0, completion.Succeeded);

            CheckReport check = StoreCheck.Check(_dir.Path);
            _output.WriteLine(string.Join("\n", check.Findings) + "\n" + check.Summary);
            Assert.False(check.IsDamaged);
            using KvStore reopened = KvStore.Open(options, new FaultInjectingDirectory(_dir.Path));
            _output.WriteLine("kept " + (reopened.Count - synced.Count) + " unsynced writes; dropped " + reopened.Recovery.TornBytesDropped + " bytes");
            foreach ((string key, byte[] value) in synced)
            {
                Assert.Equal(value, reopened.Get(Key(key)));
            }

            foreach ((string key, byte[] value) in unsynced)
            {
                byte[]? found = reopened.Get(Key(key));
                Assert.True(found is null || found.AsSpan().SequenceEqual(value), key + " came back with other bytes");
            }
        }

        [Theory]
        [InlineData("always")]
        [InlineData("none")]
        public void DamageInTheLastRecordBeforeASealIsReportedNotCutOff(string durability)
        {
            StoreOptions options = TornTailTests.Options(_dir.Path);
            options.Durability = durability == "always" ? Durability.Always : Durability.None;
            options.SegmentSize = 4096;
            using (KvStore store = KvStore.Open(options))
            {
                for (int i = 0; i < 40; i++)
                {
                    store.Put(Key("k" + i), Value(300, seed: i));
                }
            }

            // Segment 1 was sealed by its rotation (Always: once its last sync returned) or at close (None).
            string name = FileNames.Segment(1);
            List<(long Offset, RecordHeader Header)> records = Records(_dir.File(name));
            Assert.True(records[^1].Header.IsSeal, "segment 1 ends without a seal");
            (long last, RecordHeader header) = records[^2];
            Assert.False(header.IsSeal);
            TornTailTests.FlipByte(_dir.File(name), last + RecordHeader.Size + header.KeyLength + 10);

            AssertDamagedAt(name, last, options);
        }

        [Theory]
        [InlineData("always")]
        [InlineData("batched")]
        public void ASegmentEndsInASealOnceItStoppedGrowingAndItsLastSyncReturned(string durability)
        {
            StoreOptions options = TornTailTests.Options(_dir.Path);
            options.Durability = durability == "always" ? Durability.Always : Durability.Batched(TimeSpan.FromMilliseconds(20));
            options.SegmentSize = 4096;
            uint uploaded;
            using (KvStore store = KvStore.Open(options))
            {
                for (int i = 0; i < 40; i++)
                {
                    store.Put(Key("k" + i), Value(300, seed: i));
                }

                ValueUpload upload = store.BeginUpload(Key("streamed"));
                Assert.True(upload.Append(Value(5000, seed: 9)));
                var waiter = new Completions();
                upload.Complete(waiter, 0);
                Assert.True(SpinWait.SpinUntil(() => waiter.Succeeded == 1, TimeSpan.FromSeconds(5)));
                uploaded = TornTailTests.SegmentFiles(_dir.Path).Select(n => FileNames.TryParseSegment(n, out uint id) ? id : 0).Max();

                // Rotated segments and the streamed value's own segment, while the store is still open:
                // sealed by the commit thread after its sync (Batched: by the periodic sync).
                SpinWait.SpinUntil(() => EndsInSeal(FileNames.Segment(1)) && EndsInSeal(FileNames.Segment(uploaded)), TimeSpan.FromSeconds(5));
                Assert.True(EndsInSeal(FileNames.Segment(1)), "rotated segment 1 has no seal");
                Assert.True(EndsInSeal(FileNames.Segment(uploaded)), "the streamed value's segment has no seal");
                Assert.Equal(1, Records(_dir.File(FileNames.Segment(uploaded))).Count(r => !r.Header.IsSeal));
            }

            // After a clean close, every segment does, and each seal claims the whole segment before it.
            foreach (string name in TornTailTests.SegmentFiles(_dir.Path))
            {
                List<(long Offset, RecordHeader Header)> records = Records(_dir.File(name));
                Assert.True(records[^1].Header.IsSeal, name + " has no seal");
                Assert.Equal(records[^1].Offset, records[^1].Header.SyncedTo);
            }

            using KvStore reopened = KvStore.Open(options);
            Assert.Equal(41, reopened.Count);
            Assert.Equal(Value(5000, seed: 9), reopened.Get(Key("streamed")));
        }

        [Fact]
        public void DamageInAnEarlyRecordOfACleanlyClosedStoreIsReported()
        {
            StoreOptions options = TornTailTests.Options(_dir.Path);
            using (KvStore store = KvStore.Open(options))
            {
                for (int i = 0; i < 20; i++)
                {
                    store.Put(Key("k" + i), Value(200, seed: i));
                }
            }

            string name = FileNames.Segment(1);
            (long offset, _) = Records(_dir.File(name))[1];
            TornTailTests.FlipByte(_dir.File(name), offset + 2); // the stored CRC
            AssertDamagedAt(name, offset, options);
        }

        [Fact]
        public void ACleanlyClosedSegmentWhoseSealIsCutOffIsATornTailAgain()
        {
            // Without its seal, nothing claims the last round was synced: this is the documented weakness.
            StoreOptions options = TornTailTests.Options(_dir.Path);
            using (KvStore store = KvStore.Open(options))
            {
                for (int i = 0; i < 5; i++)
                {
                    store.Put(Key("k" + i), Value(200, seed: i));
                }
            }

            string name = FileNames.Segment(1);
            List<(long Offset, RecordHeader Header)> records = Records(_dir.File(name));
            using (var stream = new FileStream(_dir.File(name), FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(records[^1].Offset);
            }

            TornTailTests.FlipByte(_dir.File(name), records[^2].Offset + 30);
            using KvStore reopened = KvStore.Open(options);
            Assert.Equal(4, reopened.Count);
        }

        [Theory]
        [InlineData("torn")] // the crash left half a record after the last round
        [InlineData("clean")] // the crash (kill -9, say) took only the seal
        public void AfterACrashRecoverySealsWhatItKeptSoLaterDamageThereIsReported(string how)
        {
            StoreOptions options = TornTailTests.Options(_dir.Path);
            using (KvStore store = KvStore.Open(options))
            {
                for (int i = 0; i < 5; i++)
                {
                    store.Put(Key("k" + i), Value(200, seed: i));
                }
            }

            string name = FileNames.Segment(1);
            List<(long Offset, RecordHeader Header)> records = Records(_dir.File(name));
            byte[] bytes = File.ReadAllBytes(_dir.File(name));
            File.WriteAllBytes(_dir.File(name), how == "torn" ? bytes.AsSpan(0, (int)records[^2].Offset + 30).ToArray() : bytes.AsSpan(0, (int)records[^1].Offset).ToArray());

            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(how == "torn" ? 4 : 5, store.Count);
            }

            // Later damage in what was the last round before the crash.
            records = Records(_dir.File(name));
            Assert.True(records[^1].Header.IsSeal, "recovery did not seal what it kept");
            long last = records[^2].Offset;
            TornTailTests.FlipByte(_dir.File(name), last + RecordHeader.Size + 5);
            AssertDamagedAt(name, last, options);
        }

        private bool EndsInSeal(string name)
        {
            List<(long Offset, RecordHeader Header)> records = Records(_dir.File(name));
            return records.Count > 0 && records[^1].Header.IsSeal;
        }

        private void AssertDamagedAt(string name, long offset, StoreOptions options)
        {
            Dictionary<string, byte[]> before = TornTailTests.Snapshot(_dir.Path);
            StorageCorruptedException e = Assert.Throws<StorageCorruptedException>(() => KvStore.Open(options).Dispose());
            _output.WriteLine(e.Message);
            Assert.Equal(name, e.File);
            Assert.Equal(offset, e.Offset);
            TornTailTests.AssertSameFiles(before, TornTailTests.Snapshot(_dir.Path));

            CheckFinding finding = Assert.Single(StoreCheck.Check(_dir.Path).Findings);
            Assert.Equal((CheckFindingKind.Damaged, name, (long?)offset), (finding.Kind, finding.File, finding.Offset));
        }

        /// <summary>The records of a segment, seals included, by their own headers' lengths.</summary>
        internal static List<(long Offset, RecordHeader Header)> Records(string file)
        {
            byte[] bytes = File.ReadAllBytes(file);
            var records = new List<(long, RecordHeader)>();
            for (long offset = SegmentHeader.Size; offset < bytes.Length;)
            {
                Assert.True(RecordHeader.TryRead(bytes.AsSpan((int)offset), out RecordHeader header));
                records.Add((offset, header));
                offset += header.RecordLength;
            }

            return records;
        }

        /// <summary>
        /// A complete, correctly checksummed record built with the engine's own format code, as a client
        /// could put into a value: for version 2 it can only guess the salt (here 1) and claims the whole
        /// file was synced.
        /// </summary>
        private static byte[] RecordImage(string kind, long offset)
        {
            byte[] key = Key("forged");
            byte[] value = Value(20, seed: 5);
            byte[] record = new byte[RecordHeader.Size + key.Length + value.Length];
            key.CopyTo(record.AsSpan(RecordHeader.Size));
            value.CopyTo(record.AsSpan(RecordHeader.Size + key.Length));
            if (kind == "version-1-image")
            {
                new RecordHeader(key.Length, value.Length, 999_999, tombstone: false).WriteTo(record);
                BinaryPrimitives.WriteInt64LittleEndian(record.AsSpan(8), value.Length); // version 1: 8-byte length, no claim
                RecordHeader.Seal(record, Crc32C.Append(Crc32C.Compute(key), value));
            }
            else
            {
                new RecordHeader(key.Length, value.Length, 999_999, tombstone: false, syncedTo: uint.MaxValue).WriteTo(record);
                RecordHeader.Seal(record, Crc32C.Append(Crc32C.Append(SegmentFormat.Of(SegmentFormat.Salted, 1).CrcSeed(offset), key), value));
            }

            return record;
        }

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);

        private static byte[] Value(int length, int seed)
        {
            byte[] bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }

        private sealed class Completions : IWriteCompletion
        {
            private int _succeeded;

            public int Succeeded => Volatile.Read(ref _succeeded);

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                if (outcome != WriteOutcome.Failed)
                {
                    Interlocked.Increment(ref _succeeded);
                }
            }
        }
    }
}
