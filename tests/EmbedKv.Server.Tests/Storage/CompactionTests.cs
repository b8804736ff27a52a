using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Tests.Storage.FaultInjection;

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

                var waited = Stopwatch.StartNew();
                while (store.Compactions == 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
                {
                    Thread.Sleep(20);
                }

                Assert.True(store.Compactions > 0, "no merge started within 10 s; dead " + store.DeadBytes + " of " + store.DiskBytes);
                StoreModel.AssertMatches(store, model, "after the automatic merge");
                Assert.True(store.DeadBytes <= options.CompactionThreshold * store.DiskBytes || store.DeadBytes < options.CompactionMinimumDeadBytes,
                    "dead " + store.DeadBytes + " of " + store.DiskBytes + " after the merge");
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

        /// <summary>A real directory whose next fdatasync of one named file waits until the test releases it.</summary>
        private sealed class GatedDirectory : IStorageDirectory
        {
            private readonly IStorageDirectory _real;
            private readonly ManualResetEventSlim _held = new ManualResetEventSlim(false);
            private readonly ManualResetEventSlim _released = new ManualResetEventSlim(false);
            private string? _holdName;

            public GatedDirectory(string path) => _real = NativeStorageDirectory.Open(path);

            public string Path => _real.Path;

            public void HoldNextSync(string name) => Volatile.Write(ref _holdName, name);

            public void WaitUntilHeld() => Assert.True(_held.Wait(TimeSpan.FromSeconds(30)), "the commit thread never synced");

            public void Release() => _released.Set();

            public IStorageFile Open(string name, FileMode mode) => new GatedFile(this, _real.Open(name, mode));

            public void Rename(string from, string to) => _real.Rename(from, to);

            public bool TryDelete(string name) => _real.TryDelete(name);

            public void Sync() => _real.Sync();

            public IReadOnlyList<string> List() => _real.List();

            public bool TryLock() => _real.TryLock();

            public void Dispose() => _real.Dispose();

            private sealed class GatedFile : IStorageFile
            {
                private readonly GatedDirectory _owner;
                private readonly IStorageFile _inner;

                public GatedFile(GatedDirectory owner, IStorageFile inner)
                {
                    _owner = owner;
                    _inner = inner;
                }

                public string Name => _inner.Name;

                public EmbedKv.Runtime.FileDescriptor Descriptor => _inner.Descriptor;

                public long Length => _inner.Length;

                public int ReadAt(Span<byte> buffer, long offset) => _inner.ReadAt(buffer, offset);

                public void WriteAt(ReadOnlySpan<byte> data, long offset) => _inner.WriteAt(data, offset);

                public void DataSync()
                {
                    _inner.DataSync();
                    if (Name == Interlocked.CompareExchange(ref _owner._holdName, null, Name))
                    {
                        // Synced but not yet applied to the index: the window a merge must respect.
                        _owner._held.Set();
                        _owner._released.Wait();
                    }
                }

                public void Truncate(long length) => _inner.Truncate(length);

                public bool TryPreallocate(long length) => _inner.TryPreallocate(length);

                public void AdviseSequential() => _inner.AdviseSequential();

                public void Dispose() => _inner.Dispose();
            }
        }

        /// <summary>
        /// A thread that owns its keys and has one write in flight at a time, so its model of them is exact:
        /// every read it makes must return what it wrote last, whatever merges run meanwhile.
        /// </summary>
        private sealed class OwnKeysWriter
        {
            private const int Keys = 150;

            private readonly KvStore _store;
            private readonly int _id;
            private readonly int _operations;
            private readonly Random _random;
            private readonly Thread _thread;
            private readonly Dictionary<string, byte[]?> _model = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
            private volatile bool _running = true;
            private Exception? _error;

            public OwnKeysWriter(KvStore store, int id, int operations)
            {
                _store = store;
                _id = id;
                _operations = operations;
                _random = new Random(100 + id);
                _thread = new Thread(Run) { IsBackground = true, Name = "writer " + id };
            }

            public bool Running => _running;

            public static Dictionary<string, byte[]?> Model(IEnumerable<OwnKeysWriter> writers)
            {
                var all = new Dictionary<string, byte[]?>(StringComparer.Ordinal);
                foreach (OwnKeysWriter writer in writers)
                {
                    foreach ((string key, byte[]? value) in writer._model)
                    {
                        all.Add(key, value);
                    }
                }

                return all;
            }

            public void Start() => _thread.Start();

            public void Join()
            {
                _thread.Join();
                if (_error is not null)
                {
                    throw new Xunit.Sdk.XunitException("writer " + _id + " failed: " + _error);
                }
            }

            private void Run()
            {
                try
                {
                    // Three versions of every key first: plenty of dead bytes for the merges.
                    for (int pass = 0; pass < 3; pass++)
                    {
                        for (int k = 0; k < Keys; k++)
                        {
                            Write(k);
                        }
                    }

                    for (int n = 0; n < _operations; n++)
                    {
                        int k = _random.Next(Keys);
                        int what = _random.Next(20);
                        if (what < 12)
                        {
                            Write(k);
                        }
                        else if (what < 15)
                        {
                            _store.Delete(StoreModel.Bytes(KeyOf(k)));
                            _model[KeyOf(k)] = null;
                        }
                        else
                        {
                            Check(k);
                        }
                    }
                }
                catch (Exception e)
                {
                    _error = e;
                }
                finally
                {
                    _running = false;
                }
            }

            private void Write(int k)
            {
                byte[] value = StoreModel.RandomBytes(_random, _random.Next(0, 2000));
                _store.Put(StoreModel.Bytes(KeyOf(k)), value);
                _model[KeyOf(k)] = value;
            }

            private void Check(int k)
            {
                byte[]? expected = _model.GetValueOrDefault(KeyOf(k));
                if (!_store.TryGet(StoreModel.Bytes(KeyOf(k)), out StoredValue value))
                {
                    if (expected is not null)
                    {
                        throw new InvalidOperationException(KeyOf(k) + " is missing during the merges");
                    }

                    return;
                }

                try
                {
                    var actual = new byte[value.Length];
                    for (int done = 0; done < actual.Length;)
                    {
                        int read = _store.ReadValue(value, done, actual.AsSpan(done));
                        if (read == 0)
                        {
                            throw new InvalidOperationException(KeyOf(k) + " ended early");
                        }

                        done += read;
                    }

                    if (expected is null || !actual.AsSpan().SequenceEqual(expected))
                    {
                        throw new InvalidOperationException(KeyOf(k) + " read " + actual.Length + " wrong bytes during the merges (expected "
                            + (expected is null ? "none" : expected.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)) + ")");
                    }
                }
                finally
                {
                    value.Release();
                }
            }

            private string KeyOf(int k) => "w" + _id + "/k" + k;
        }
    }

    /// <summary>
    /// A power cut at each named step of a merge (a <see cref="StoreSchedule"/> point): before the commit
    /// point the merge never happened, after it the next open finishes it; either way nothing is lost and
    /// nothing deleted comes back.
    /// </summary>
    public sealed class CompactionCrashTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData("outputs-synced")]
        [InlineData("committed")]
        [InlineData("renamed")]
        [InlineData("switched")]
        public void ACrashAtAnyStepOfAMergeLosesNothing(string step)
        {
            Dictionary<string, byte[]?> model = CompactionTests.WriteDeadData(_dir.Path, seed: step.Length);
            StoreOptions options = CompactionTests.Options(_dir.Path, Durability.Always);
            var directory = new FaultInjectingDirectory(_dir.Path);
            var crashAt = new CrashAtMergeStep(step, directory);
            options.Schedule = crashAt;
            KvStore store = KvStore.Open(options, directory);
            Assert.True(store.DeadBytes > store.DiskBytes / 2);
            Assert.ThrowsAny<Exception>(() => store.Compact());
            bool crashed = crashAt.Crashed;
            Assert.True(crashed, "the merge never reached " + step);
            StoreModel.DisposeDead(store);
            Assert.Equal(step != "outputs-synced", File.Exists(_dir.File("merge.manifest"))); // the commit point

            options.Schedule = StoreSchedule.Threads;
            using (KvStore reopened = KvStore.Open(options, new FaultInjectingDirectory(_dir.Path)))
            {
                StoreModel.AssertMatches(reopened, model, "after a crash at " + step);
                Assert.Empty(StoreModel.Leftovers(_dir.Path));
                reopened.Compact();
                StoreModel.AssertMatches(reopened, model, "after merging again");
                Assert.Equal(0, reopened.DeadBytes);
            }

            using (KvStore reopened = KvStore.Open(options))
            {
                StoreModel.AssertMatches(reopened, model, "after reopening the merged store");
                Assert.Equal(0, reopened.DeadBytes);
            }
        }
    }

    /// <summary>Cuts the power at one named step of a merge and throws there, as the dead machine would stop.</summary>
    internal sealed class CrashAtMergeStep : StoreSchedule
    {
        private readonly string _step;
        private readonly FaultInjectingDirectory _directory;

        public CrashAtMergeStep(string step, FaultInjectingDirectory directory)
        {
            _step = step;
            _directory = directory;
        }

        public bool Crashed { get; private set; }

        public override void Point(string name)
        {
            if (name == "merge." + _step && !Crashed)
            {
                Crashed = true;
                _directory.Crash(new Random(_step.Length));
                throw new IOException("simulated power cut at " + name);
            }
        }
    }

    /// <summary>Helpers for checking a store against a model of what it must hold.</summary>
    internal static class StoreModel
    {
        public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

        public static byte[] RandomBytes(Random random, int length)
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            return bytes;
        }

        /// <summary>Every key of the model holds exactly its bytes, every deleted key is absent, and there are no other keys.</summary>
        public static void AssertMatches(KvStore store, IReadOnlyDictionary<string, byte[]?> model, string when)
        {
            int live = 0;
            foreach ((string key, byte[]? expected) in model)
            {
                byte[]? actual = store.Get(Bytes(key));
                if (expected is null)
                {
                    if (actual is not null)
                    {
                        Assert.Fail(when + ": deleted key " + key + " came back (" + actual.Length + " bytes)");
                    }

                    continue;
                }

                live++;
                if (actual is null)
                {
                    Assert.Fail(when + ": key " + key + " is missing");
                }

                if (!actual.AsSpan().SequenceEqual(expected))
                {
                    Assert.Fail(when + ": key " + key + " holds " + actual.Length + " bytes that are not its latest value (" + expected.Length + " bytes)");
                }
            }

            Assert.Equal(live, store.Count);
        }

        public static string[] SegmentFileNames(string directory)
            => Directory.GetFiles(directory).Select(Path.GetFileName).Where(n => n!.StartsWith("seg-", StringComparison.Ordinal) && n.EndsWith(".log", StringComparison.Ordinal)).ToArray()!;

        public static int SegmentFiles(string directory) => SegmentFileNames(directory).Length;

        /// <summary>Merge outputs, streamed values and manifests that a finished open must have cleaned up.</summary>
        public static string[] Leftovers(string directory)
            => Directory.GetFiles(directory).Select(Path.GetFileName)
                .Where(n => n!.EndsWith(".tmp", StringComparison.Ordinal) || n.EndsWith(".partial", StringComparison.Ordinal) || n.StartsWith("merge.manifest", StringComparison.Ordinal))
                .ToArray()!;

        /// <summary>Closes a store whose directory crashed: its last syncs fail by design.</summary>
        public static void DisposeDead(KvStore store)
        {
            try
            {
                store.Dispose();
            }
            catch (Exception)
            {
                // Expected after a simulated crash.
            }
        }
    }
}
