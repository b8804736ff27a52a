using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Interop;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Compaction;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.Writes;
using EmbedKv.Server.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage.FaultInjection;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// A completely full disk (issue 10, defect 5; docs/storage.md, "Disk full"): the store opens on it,
    /// serves reads, refuses writes with ENOSPC until space is free, and takes them again without a reopen.
    /// </summary>
    public sealed class FullDiskTests
    {
        private readonly ITestOutputHelper _output;

        public FullDiskTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void OpensOnACompletelyFullTmpfsAndResumesWritesOnceSpaceIsFree()
        {
            using var mount = TmpfsMount.TryCreate(4, out string? why);
            if (mount is null)
            {
                _output.WriteLine("SKIPPED: cannot mount a tmpfs here: " + why);
                return;
            }

            var options = new StoreOptions
            {
                DataDirectory = Path.Combine(mount.Path, "data"),
                Durability = Durability.Always,
                SegmentSize = 256 * 1024,
                AutomaticCompaction = false,
                Logger = new LineLogger(line => _output.WriteLine("  log: " + line)),
            };

            // Another file on the same disk that the operator can shrink or delete later.
            string filler = Path.Combine(mount.Path, "filler");
            File.WriteAllBytes(filler, new byte[256 * 1024]);
            var model = new Dictionary<string, byte[]>();
            int next = 0;

            // 1. The store's own writes fill the disk; closing gives back the active segment's reservation,
            //    and a filler file takes that and every other free byte.
            using (KvStore store = KvStore.Open(options))
            {
                while (TryPut(store, model, "k" + next, Value(4096, next)))
                {
                    next++;
                }

                // Tombstones go into what is left of the active segment's reservation, while they fit.
                for (int i = 0; i < next && TryDelete(store, model, "k" + i); i += 50)
                {
                }
            }

            long fillerLength = mount.FillWith("filler");
            _output.WriteLine("1. " + next + " puts, " + model.Count + " live keys; filler " + fillerLength + " bytes " + mount.Usage());
            Assert.Equal(0, mount.Available());

            // 2. Reopen on the full disk: every acknowledged value reads back, writes are refused with ENOSPC.
            using (KvStore store = KvStore.Open(options))
            {
                _output.WriteLine("2. opened on the full disk " + mount.Usage());
                AssertMatches(store, model);
                Assert.Null(store.WriteFailure);
                for (int i = 0; i < 3; i++)
                {
                    StorageFullException refused = Assert.Throws<StorageFullException>(() => store.Put(Key("new" + i), Value(100, i)));
                    _output.WriteLine("   put refused: " + refused.Message);
                    Assert.Contains("ENOSPC", refused.Message, StringComparison.Ordinal);
                    Assert.Equal(Sys.ENOSPC, Assert.IsType<SyscallException>(refused.InnerException).Errno.Value);
                }

                // With no byte free not even a tombstone fits: a new segment needs a page for its header.
                string victim = model.Keys.First();
                Assert.Throws<StorageFullException>(() => store.Delete(Key(victim)));
                Assert.Throws<StorageFullException>(() => store.BeginUpload(Key("upload")));
                var outcomes = new List<WriteOutcome>();
                store.BeginPut(Key("async"), Value(100, 1), new Completion(outcomes), 1);
                store.BeginDelete(Key(victim), new Completion(outcomes), 2);
                Assert.Equal(new[] { WriteOutcome.DiskFull, WriteOutcome.DiskFull }, outcomes);
                Assert.Null(store.WriteFailure);
                AssertMatches(store, model);

                // 3. A little space (two pages): deletes fit, without a reopen.
                using (var handle = File.OpenHandle(filler, FileMode.Open, FileAccess.Write))
                {
                    RandomAccess.SetLength(handle, fillerLength - (8 * 1024));
                }

                Eventually(() => store.Delete(Key(victim)) == WriteOutcome.Deleted, "a delete once two pages are free");
                model.Remove(victim);
                foreach (string key in model.Keys.Take(5).ToList())
                {
                    Assert.Equal(WriteOutcome.Deleted, store.Delete(Key(key)));
                    model.Remove(key);
                }

                // 4. The operator deletes the filler: writes work again, without a reopen.
                File.Delete(filler);
                _output.WriteLine("4. filler deleted " + mount.Usage());
                Eventually(() => TryPut(store, model, "k" + next, Value(4096, next)), "a put once the filler is gone");
                next++;
                for (int i = 0; i < 50; i++, next++)
                {
                    Assert.True(TryPut(store, model, "k" + next, Value(4096, next)), "put " + i + " after space was freed");
                }

                Assert.Equal(WriteOutcome.Replaced, store.Put(Key("k" + (next - 1)), Value(10, -1)));
                model["k" + (next - 1)] = Value(10, -1);
                Assert.Null(store.WriteFailure);
                AssertMatches(store, model);
            }

            // 5. And it all survives a reopen.
            using (KvStore store = KvStore.Open(options))
            {
                AssertMatches(store, model);
                Assert.Equal(0, store.Recovery.TornBytesDropped);
            }
        }

        [Fact]
        public void NoRoomForTheActiveSegmentAtOpenRefusesWritesFromMemory()
        {
            using var dir = new TempDirectory();
            Dictionary<string, byte[]> model = Seed(dir.Path);

            // The first write at open is the new active segment's header.
            var directory = new FaultInjectingDirectory(dir.Path);
            directory.FailNext("write", Sys.ENOSPC);
            StoreOptions options = Options(dir.Path);
            options.DiskFullRetryInterval = TimeSpan.FromHours(1);
            using (KvStore store = KvStore.Open(options, directory))
            {
                AssertMatches(store, model);
                Assert.Null(store.WriteFailure);
                Assert.DoesNotContain(directory.List(), name => name == FileNames.Segment(4)); // no empty file left behind

                // Until the interval passes, writes that need a new file cost no syscall at all.
                int opens = directory.Calls["open"], writes = directory.Calls["write"];
                for (int i = 0; i < 100; i++)
                {
                    StorageFullException e = Assert.Throws<StorageFullException>(() => store.Put(Key("new" + i), Value(10, i)));
                    Assert.Contains("ENOSPC", e.Message, StringComparison.Ordinal);
                }

                Assert.Throws<StorageFullException>(() => store.Delete(Key("k1")));
                Assert.Throws<StorageFullException>(() => store.BeginUpload(Key("upload")));
                Assert.Equal((opens, writes), (directory.Calls["open"], directory.Calls["write"]));
                // A merge needs no active segment (Seed overwrote keys, so there are dead bytes to reclaim).
                Assert.True(store.Compact() > 0);
                AssertMatches(store, model);
            }

            using (KvStore store = KvStore.Open(Options(dir.Path), new FaultInjectingDirectory(dir.Path)))
            {
                AssertMatches(store, model);
                store.Put(Key("after"), Value(10, 1));
                model["after"] = Value(10, 1);
                AssertMatches(store, model);
            }
        }

        [Theory]
        [InlineData("always")]
        [InlineData("batched")]
        [InlineData("none")]
        public void NoRoomForTheActiveSegmentAtOpenThenTheNextWriteCreatesIt(string durability)
        {
            Assert.True(Durability.TryParse(durability, out Durability mode));
            using var dir = new TempDirectory();
            Dictionary<string, byte[]> model = Seed(dir.Path);
            var directory = new FaultInjectingDirectory(dir.Path);
            directory.FailNext("write", Sys.ENOSPC);
            StoreOptions options = Options(dir.Path, mode);
            options.DiskFullRetryInterval = TimeSpan.Zero;
            using (KvStore store = KvStore.Open(options, directory))
            {
                AssertMatches(store, model);
                Assert.Equal(WriteOutcome.Deleted, store.Delete(Key("k1")));
                model.Remove("k1");
                Assert.Equal(WriteOutcome.Created, store.Put(Key("new"), Value(100, 1)));
                model["new"] = Value(100, 1);
                AssertMatches(store, model);
            }

            using (KvStore store = KvStore.Open(Options(dir.Path, mode), new FaultInjectingDirectory(dir.Path)))
            {
                Assert.Equal(0, store.Recovery.TornBytesDropped);
                AssertMatches(store, model);
            }
        }

        [Fact]
        public void NoRoomToRotateRefusesOnlyWhatNeedsANewSegment()
        {
            using var dir = new TempDirectory();
            var directory = new FaultInjectingDirectory(dir.Path);
            StoreOptions options = Options(dir.Path);
            options.SegmentSize = 4096;
            options.DiskFullRetryInterval = TimeSpan.FromHours(1);
            var model = new Dictionary<string, byte[]>();
            using (KvStore store = KvStore.Open(options, directory))
            {
                // Records of 24 + 2 + 1000 bytes: three fit after the segment header, the fourth rotates.
                for (int i = 0; i < 3; i++)
                {
                    store.Put(Key("k" + i), Value(1000, i));
                    model["k" + i] = Value(1000, i);
                }

                directory.FailNext("write", Sys.ENOSPC); // the new segment's header
                Assert.Throws<StorageFullException>(() => store.Put(Key("k3"), Value(1000, 3)));
                int opens = directory.Calls["open"];
                Assert.Throws<StorageFullException>(() => store.Put(Key("k3"), Value(1000, 3)));
                Assert.Equal(opens, directory.Calls["open"]);
                Assert.Null(store.Get(Key("k3")));

                // What still fits in the active segment goes there: a tombstone, a small value.
                Assert.Equal(WriteOutcome.Deleted, store.Delete(Key("k0")));
                model.Remove("k0");
                Assert.Equal(WriteOutcome.Created, store.Put(Key("s"), Value(10, 4)));
                model["s"] = Value(10, 4);
                Assert.Null(store.WriteFailure);
                AssertMatches(store, model);
            }

            using (KvStore store = KvStore.Open(options, new FaultInjectingDirectory(dir.Path)))
            {
                Assert.Equal(0, store.Recovery.TornBytesDropped);
                AssertMatches(store, model);
                store.Put(Key("k3"), Value(1000, 3));
                model["k3"] = Value(1000, 3);
                AssertMatches(store, model);
            }
        }

        [Theory]
        [InlineData("always")]
        [InlineData("batched")]
        public void NoRoomMidRecordOrMidUploadLeavesTheStoreWhole(string durability)
        {
            Assert.True(Durability.TryParse(durability, out Durability mode));
            using var dir = new TempDirectory();
            var directory = new FaultInjectingDirectory(dir.Path);
            var model = new Dictionary<string, byte[]>();
            using (KvStore store = KvStore.Open(Options(dir.Path, mode), directory))
            {
                store.Put(Key("a"), Value(100, 1));
                model["a"] = Value(100, 1);

                // A 200 KiB value is written as header + key, then the value: the second pwrite fails.
                directory.FailNext("write", Sys.ENOSPC, after: 1);
                Assert.Throws<StorageFullException>(() => store.Put(Key("big"), Value(200 * 1024, 2)));
                Assert.Null(store.Get(Key("big")));

                // A streamed value: its file is deleted when a chunk finds no room.
                ValueUpload upload = store.BeginUpload(Key("streamed"));
                Assert.True(upload.Append(Value(1000, 3)));
                directory.FailNext("write", Sys.ENOSPC);
                Assert.Throws<StorageFullException>(() => upload.Append(Value(1000, 4)));
                upload.Abort();
                Assert.DoesNotContain(directory.List(), name => name.EndsWith(FileNames.PartialSuffix, StringComparison.Ordinal));

                // And one whose record header finds no room when it is sealed.
                upload = store.BeginUpload(Key("sealed"));
                Assert.True(upload.Append(Value(1000, 5)));
                directory.FailNext("write", Sys.ENOSPC);
                Assert.Throws<StorageFullException>(() => upload.Complete(new Completion(new List<WriteOutcome>()), 1));
                Assert.DoesNotContain(directory.List(), name => name.EndsWith(FileNames.PartialSuffix, StringComparison.Ordinal));

                Assert.Null(store.WriteFailure);
                Assert.Equal(WriteOutcome.Created, store.Put(Key("b"), Value(300, 6)));
                model["b"] = Value(300, 6);
                AssertMatches(store, model);
            }

            using (KvStore store = KvStore.Open(Options(dir.Path, mode), new FaultInjectingDirectory(dir.Path)))
            {
                Assert.Equal(0, store.Recovery.TornBytesDropped);
                AssertMatches(store, model);
            }
        }

        [Fact]
        public void LeftoversAreDeletedBeforeAnInterruptedMergeIsFinished()
        {
            using var dir = new TempDirectory();
            Dictionary<string, byte[]> model = Seed(dir.Path);

            // A streamed value that never completed, beside a merge that committed but did not finish: a
            // manifest naming an output that is still a .tmp file. The leftover must be gone before the
            // merge's renames run; the merge's output must not be taken for a leftover.
            File.WriteAllBytes(Path.Combine(dir.Path, FileNames.Partial(9)), new byte[4096]);
            File.Copy(Path.Combine(dir.Path, FileNames.Segment(1)), Path.Combine(dir.Path, FileNames.SegmentTemp(8)));
            // The copy keeps segment 1's salt: every record's checksum covers it (docs/storage.md).
            byte[] header = new byte[SegmentHeader.Size];
            Assert.True(SegmentHeader.TryRead(File.ReadAllBytes(Path.Combine(dir.Path, FileNames.Segment(1))).AsSpan(0, SegmentHeader.Size), 1, out SegmentFormat format));
            SegmentHeader.Write(header, 8, format);
            using (FileStream output = File.OpenWrite(Path.Combine(dir.Path, FileNames.SegmentTemp(8))))
            {
                output.Write(header);
            }

            using (var seed = new FaultInjectingDirectory(dir.Path))
            {
                MergeManifest.Commit(seed, new List<uint> { 1 }, new List<uint> { 8 });
            }

            var directory = new FaultInjectingDirectory(dir.Path);
            var order = new List<string>();
            string partial = Path.Combine(dir.Path, FileNames.Partial(9));
            directory.BeforeSlowCall = (operation, name) => order.Add(operation + " " + name + (File.Exists(partial) ? " before the leftover went" : string.Empty));
            using (KvStore store = KvStore.Open(Options(dir.Path), directory))
            {
                AssertMatches(store, model);
                Assert.Equal(1, store.Recovery.LeftoversDeleted);
                Assert.Equal(new[] { "rename " + FileNames.SegmentTemp(8) }, order.Where(o => o.StartsWith("rename", StringComparison.Ordinal)));
                Assert.DoesNotContain(FileNames.Partial(9), directory.List());
                Assert.DoesNotContain(FileNames.Segment(1), directory.List());
                Assert.Contains(FileNames.Segment(8), directory.List());
            }
        }

        /// <summary>A store with a few keys in segments 1 to 3 (one per open), closed.</summary>
        private static Dictionary<string, byte[]> Seed(string path)
        {
            var model = new Dictionary<string, byte[]>();
            for (int round = 0; round < 3; round++)
            {
                using KvStore store = KvStore.Open(Options(path));
                for (int i = 0; i < 5; i++)
                {
                    string key = "k" + ((round * 3) + i);
                    store.Put(Key(key), Value(100 + i, round * 10 + i));
                    model[key] = Value(100 + i, round * 10 + i);
                }
            }

            return model;
        }

        private static StoreOptions Options(string path, Durability? durability = null)
            => new StoreOptions { DataDirectory = path, Durability = durability ?? Durability.Always, SegmentSize = 1 << 20, AutomaticCompaction = false };

        private static bool TryPut(KvStore store, Dictionary<string, byte[]> model, string key, byte[] value)
        {
            try
            {
                store.Put(Key(key), value);
            }
            catch (IOException e) when (e.Message.Contains("ENOSPC", StringComparison.Ordinal))
            {
                Assert.Equal(model.GetValueOrDefault(key), store.Get(Key(key))); // the refused write changed nothing
                return false;
            }

            model[key] = value;
            return true;
        }

        private static bool TryDelete(KvStore store, Dictionary<string, byte[]> model, string key)
        {
            try
            {
                Assert.Equal(WriteOutcome.Deleted, store.Delete(Key(key)));
            }
            catch (IOException e) when (e.Message.Contains("ENOSPC", StringComparison.Ordinal))
            {
                Assert.Equal(model[key], store.Get(Key(key)));
                return false;
            }

            model.Remove(key);
            return true;
        }

        /// <summary>Every key of the model reads back byte for byte, and nothing else is live.</summary>
        internal static void AssertMatches(KvStore store, Dictionary<string, byte[]> model)
        {
            FailureTests.AssertHolds(store, model);
            Assert.Equal(model.Count, store.Count);
        }

        /// <summary>Retries <paramref name="attempt"/> while it fails with ENOSPC, for up to 10 s (the store retries a full disk once a second).</summary>
        private static void Eventually(Func<bool> attempt, string what)
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    if (attempt())
                    {
                        return;
                    }
                }
                catch (IOException e) when (e.Message.Contains("ENOSPC", StringComparison.Ordinal) && clock.Elapsed < TimeSpan.FromSeconds(10))
                {
                }

                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "never: " + what);
                Thread.Sleep(50);
            }
        }

        private sealed class Completion : IWriteCompletion
        {
            private readonly List<WriteOutcome> _outcomes;

            public Completion(List<WriteOutcome> outcomes) => _outcomes = outcomes;

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                lock (_outcomes)
                {
                    _outcomes.Add(outcome);
                }
            }
        }

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);

        private static byte[] Value(int length, int seed)
        {
            byte[] bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }
    }
}
