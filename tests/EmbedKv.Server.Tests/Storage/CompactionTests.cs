using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Format;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>The merge (docs/storage.md, "Compaction"): what it keeps, what it drops, and that the store works on meanwhile.</summary>
    public sealed class CompactionTests : IDisposable
    {
        private const int SegmentSize = 64 * 1024;

        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void CompactKeepsEveryLatestValueAndDropsAllDeadBytes()
        {
            var model = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            var random = new Random(1);
            StoreOptions options = Options(Durability.None);
            using (KvStore store = KvStore.Open(options))
            {
                for (int pass = 0; pass < 4; pass++)
                {
                    for (int i = 0; i < 2000; i++)
                    {
                        Put(store, model, "key" + i, StoreModel.RandomBytes(random, random.Next(0, 400)));
                    }
                }

                for (int i = 0; i < 2000; i += 3)
                {
                    store.Delete(StoreModel.Bytes("key" + i));
                    model["key" + i] = null;
                }

                // The active segment is never merged and now holds tombstones: roll it with fresh keys so
                // that everything dead is in sealed segments and the merge can reclaim all of it.
                for (int i = 0; i < 2 * SegmentSize / 1000; i++)
                {
                    Put(store, model, "filler" + i, StoreModel.RandomBytes(random, 1000));
                }

                long diskBefore = store.DiskBytes;
                long deadBefore = store.DeadBytes;
                int filesBefore = StoreModel.SegmentFiles(_dir.Path);
                Assert.True(deadBefore > diskBefore / 2, "dead " + deadBefore + " of " + diskBefore);

                int merged = store.Compact();

                Assert.True(merged > 1, "merged " + merged + " segments");
                Assert.Equal(1, store.Compactions);
                Assert.Equal(0, store.DeadBytes);
                int outputs = StoreModel.SegmentFiles(_dir.Path) - filesBefore + merged;
                Assert.Equal(diskBefore - deadBefore + (outputs * RecordHeader.Size), store.DiskBytes); // each output ends in a seal record
                Assert.True(StoreModel.SegmentFiles(_dir.Path) < filesBefore, StoreModel.SegmentFiles(_dir.Path) + " segment files, " + filesBefore + " before");
                StoreModel.AssertMatches(store, model, "after the merge");
                Assert.Equal(0, store.Compact()); // nothing dead is left to merge
            }

            using (KvStore store = KvStore.Open(options))
            {
                StoreModel.AssertMatches(store, model, "after reopening");
                Assert.Equal(0, store.DeadBytes);
                Assert.Equal(0, store.Recovery.TornBytesDropped);
                Assert.Empty(StoreModel.Leftovers(_dir.Path));
            }
        }

        [Theory]
        [InlineData("always")]
        [InlineData("none")]
        public void WritesAndReadsGoOnWhileMergesRun(string durability)
        {
            Assert.True(Durability.TryParse(durability, out Durability parsed));
            StoreOptions options = Options(parsed);
            var writers = new OwnKeysWriter[4];
            int merges = 0;
            int mergedSegments = 0;
            using (KvStore store = KvStore.Open(options))
            {
                for (int i = 0; i < writers.Length; i++)
                {
                    writers[i] = new OwnKeysWriter(store, i, operations: 2500);
                    writers[i].Start();
                }

                // Merge over and over while the writers work; each writer checks its reads as it goes.
                while (writers.Any(w => w.Running))
                {
                    int merged = store.Compact();
                    mergedSegments += merged;
                    merges += merged > 0 ? 1 : 0;
                    Thread.Sleep(1);
                }

                foreach (OwnKeysWriter writer in writers)
                {
                    writer.Join();
                }

                Assert.True(merges > 0, "no merge ran while the writers worked");
                Assert.Null(store.WriteFailure);
                Dictionary<string, byte[]?> model = OwnKeysWriter.Model(writers);
                StoreModel.AssertMatches(store, model, "after the writers stopped (" + merges + " merges of " + mergedSegments + " segments)");
                store.Compact();
                StoreModel.AssertMatches(store, model, "after a final merge");
            }

            using (KvStore store = KvStore.Open(options))
            {
                StoreModel.AssertMatches(store, OwnKeysWriter.Model(writers), "after reopening");
            }
        }

        [Fact]
        public void AMergeWaitsForASealedSegmentsWritesToCommit()
        {
            // Deterministic form of the race WritesAndReadsGoOnWhileMergesRun("always") found: a write
            // appended to a segment that is then sealed (by the next write's rotation) is not in the index
            // until the commit thread applies it. A merge that took the segment meanwhile would skip that
            // record as dead and retire the file the index is about to point into; one that skipped the
            // segment could drop a tombstone whose older put lives there. So the merge waits.
            var directory = new GatedDirectory(_dir.Path);
            StoreOptions options = Options(Durability.Always);
            options.SegmentSize = 4096;
            using (KvStore store = KvStore.Open(options, directory))
            {
                store.Put(StoreModel.Bytes("a"), new byte[1000]);
                store.Put(StoreModel.Bytes("a"), new byte[1000]); // segment 1 now holds dead bytes
                byte[] b = StoreModel.RandomBytes(new Random(5), 1000);
                byte[] c = StoreModel.RandomBytes(new Random(6), 3000);
                var bDone = new UploadTests.Completion();
                var cDone = new UploadTests.Completion();
                int merged = -1;
                var merger = new Thread(() => merged = store.Compact());

                directory.HoldNextSync("seg-00000001.log");
                try
                {
                    store.BeginPut(StoreModel.Bytes("b"), b, bDone, 1); // into segment 1; its commit waits at the held sync
                    directory.WaitUntilHeld();
                    store.BeginPut(StoreModel.Bytes("c"), c, cDone, 2); // does not fit: seals segment 1, goes to segment 2
                    merger.Start();
                    Assert.False(merger.Join(TimeSpan.FromMilliseconds(300)), "the merge did not wait for \"b\" to commit");
                }
                finally
                {
                    directory.Release(); // or closing the store would wait for the held commit thread forever
                }

                Assert.True(merger.Join(TimeSpan.FromSeconds(30)));
                Assert.Equal(1, merged);
                Assert.Equal(WriteOutcome.Created, bDone.Wait());
                Assert.Equal(WriteOutcome.Created, cDone.Wait());
                Assert.Null(store.WriteFailure);
                Assert.Equal(b, store.Get(StoreModel.Bytes("b")));
                Assert.Equal(c, store.Get(StoreModel.Bytes("c")));
            }

            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(3, store.Count);
                Assert.Equal(1000, store.Get(StoreModel.Bytes("b"))!.Length);
            }
        }

        [Fact]
        public void AutomaticCompactionStartsWhenTheDeadShareCrossesTheThreshold()
        {
            StoreOptions options = Options(Durability.Always);
            options.AutomaticCompaction = true;
            options.CompactionThreshold = 0.5;
            options.CompactionMinimumDeadBytes = 64 * 1024;
            var model = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            var random = new Random(3);
            using (KvStore store = KvStore.Open(options))
            {
                for (int pass = 0; pass < 8; pass++)
                {
                    for (int i = 0; i < 200; i++)
                    {
                        Put(store, model, "key" + i, StoreModel.RandomBytes(random, 500));
                    }
                }

                // Merges run in the background, some while the writes go on: wait for the last one. Once writes
                // stop the store must come under the threshold by itself (what is left dead sits in the active
                // segment, which no merge takes: at most 64 KiB here, under half of what is live).
                bool UnderThreshold() => store.DeadBytes <= options.CompactionThreshold * store.DiskBytes || store.DeadBytes < options.CompactionMinimumDeadBytes;
                var waited = Stopwatch.StartNew();
                while ((store.Compactions == 0 || !UnderThreshold()) && waited.Elapsed < TimeSpan.FromSeconds(10))
                {
                    Thread.Sleep(20);
                }

                Assert.True(store.Compactions > 0, "no merge started within 10 s; dead " + store.DeadBytes + " of " + store.DiskBytes);
                Assert.True(UnderThreshold(), "dead " + store.DeadBytes + " of " + store.DiskBytes + " 10 s after the last write, " + store.Compactions + " merges");
                StoreModel.AssertMatches(store, model, "after the automatic merges");
            }

            using (KvStore store = KvStore.Open(options))
            {
                StoreModel.AssertMatches(store, model, "after reopening");
            }
        }

        [Fact]
        public void AValueHeldAcrossAMergeStaysReadable()
        {
            var random = new Random(4);
            var model = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            using KvStore store = KvStore.Open(Options(Durability.None));
            byte[] held = StoreModel.RandomBytes(random, 30_000);
            Put(store, model, "held", held);
            for (int pass = 0; pass < 3; pass++)
            {
                for (int i = 0; i < 300; i++)
                {
                    Put(store, model, "key" + i, StoreModel.RandomBytes(random, 300));
                }
            }

            Assert.True(store.TryGet(StoreModel.Bytes("held"), out StoredValue value));
            try
            {
                Assert.True(store.Compact() > 0);
                Assert.DoesNotContain(StoreModel.SegmentFileNames(_dir.Path), name => name == "seg-00000001.log"); // retired and deleted

                // The descriptor stays open until Release, so the old copy can still be read (or sent).
                var copy = new byte[held.Length];
                for (int done = 0; done < copy.Length;)
                {
                    int read = store.ReadValue(value, done, copy.AsSpan(done));
                    Assert.True(read > 0);
                    done += read;
                }

                Assert.Equal(held, copy);
            }
            finally
            {
                value.Release();
            }

            StoreModel.AssertMatches(store, model, "after the merge");
        }

        internal static StoreOptions Options(string path, Durability durability)
            => new StoreOptions { DataDirectory = path, Durability = durability, SegmentSize = SegmentSize, AutomaticCompaction = false };

        /// <summary>Writes 600 keys three times and deletes a third of them, then closes the store: lots of dead bytes, all in sealed segments.</summary>
        internal static Dictionary<string, byte[]?> WriteDeadData(string path, int seed)
        {
            var model = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            var random = new Random(seed);
            using KvStore store = KvStore.Open(Options(path, Durability.None));
            for (int pass = 0; pass < 3; pass++)
            {
                for (int i = 0; i < 600; i++)
                {
                    Put(store, model, "key" + i, StoreModel.RandomBytes(random, random.Next(0, 1500)));
                }
            }

            for (int i = 0; i < 600; i += 3)
            {
                store.Delete(StoreModel.Bytes("key" + i));
                model["key" + i] = null;
            }

            Put(store, model, "big", StoreModel.RandomBytes(random, 200_000)); // a fully live segment of its own
            return model;
        }

        private static void Put(KvStore store, Dictionary<string, byte[]?> model, string key, byte[] value)
        {
            store.Put(StoreModel.Bytes(key), value);
            model[key] = value;
        }

        private StoreOptions Options(Durability durability) => Options(_dir.Path, durability);
    }
}
