using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Writes;
using EmbedKv.Server.Tests.Storage.Versions;

namespace EmbedKv.Server.Tests.Storage.Checkpoints
{
    /// <summary>
    /// <see cref="KvStore.Checkpoint"/> on real directories (docs/storage.md, "Checkpoints"): what it holds is
    /// exactly the writes up to its sequence, under concurrent writers, uploads, expiry and merges.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public sealed class CheckpointTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData("always")]
        [InlineData("batched")]
        public void ACheckpointUnderConcurrentWritesHoldsExactlyTheWritesUpToItsSequence(string durability)
        {
            var clock = new ManualClock();
            var options = new StoreOptions
            {
                DataDirectory = _dir.File("data"),
                Durability = durability == "always" ? Durability.Always : Durability.Batched(TimeSpan.FromMilliseconds(20)),
                SegmentSize = 64 * 1024,
                CompactionThreshold = 0.3,
                CompactionMinimumDeadBytes = 0,
                Clock = clock,
            };
            var history = new WriteHistory();
            var reports = new List<CheckpointReport>();
            var errors = new List<Exception>();
            bool stop = false;
            using (KvStore store = KvStore.Open(options))
            {
                var threads = new List<Thread>();
                for (int id = 0; id < 4; id++)
                {
                    int writer = id;
                    threads.Add(new Thread(() => Guard(errors, () => WriteOwnKeys(store, history, writer, () => Volatile.Read(ref stop)))));
                }

                threads.Add(new Thread(() => Guard(errors, () => UploadOwnKeys(store, history, () => Volatile.Read(ref stop)))));
                threads.ForEach(t => t.Start());
                for (int n = 0; n < 4; n++)
                {
                    Thread.Sleep(150);
                    reports.Add(store.Checkpoint(_dir.File("checkpoint-" + n)));
                }

                Volatile.Write(ref stop, true);
                threads.ForEach(t => t.Join());
                Assert.Empty(errors);
                Assert.Null(store.WriteFailure);
            }

            Assert.True(history.Count > 200, "only " + history.Count + " writes");
            Assert.Contains(reports, r => r.SegmentsLinked > 0);
            foreach (CheckpointReport report in reports)
            {
                Assert.False(StoreCheck.Check(report.Path).IsDamaged, StoreCheck.Check(report.Path).Summary);
                using (KvStore checkpoint = KvStore.Open(new StoreOptions { DataDirectory = report.Path, Clock = clock }))
                {
                    history.AssertCheckpoint(checkpoint, report.Sequence, durability + ", " + Path.GetFileName(report.Path));
                }

                // An hour on, every write with a time to live has expired in the checkpoint too.
                var later = new ManualClock { Now = clock.Now.AddHours(1) };
                using (KvStore checkpoint = KvStore.Open(new StoreOptions { DataDirectory = report.Path, Clock = later }))
                {
                    history.AssertCheckpoint(checkpoint, report.Sequence, durability + ", an hour later", expired: true);
                }
            }
        }

        [Fact]
        public void TheTargetIsCreatedForTheOwnerAloneAndSharesSealedSegmentsByHardLink()
        {
            var options = new StoreOptions { DataDirectory = _dir.File("data"), SegmentSize = 4096 };
            var history = new WriteHistory();
            using KvStore store = KvStore.Open(options);
            Fill(store, history, 60);
            string target = _dir.File("checkpoint");
            CheckpointReport report = store.Checkpoint(target);

            Assert.True(report.SegmentsLinked > 0 && report.SegmentsCopied >= 1, report.SegmentsLinked + " linked, " + report.SegmentsCopied + " copied");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(target));
            foreach (string file in Directory.GetFiles(target))
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            Assert.Equal(report.SegmentsLinked + report.SegmentsCopied, Directory.GetFiles(target).Length);
            AssertOpens(report, history);
        }

        [Fact]
        public void WithoutLinksOrTheKernelsCopyEverySegmentIsCopiedThroughABuffer()
        {
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.File("data"), SegmentSize = 4096 });
            var history = new WriteHistory();
            Fill(store, history, 60);
            store.CheckpointLinks = false;
            store.CheckpointCopyInKernel = false;
            CheckpointReport report = store.Checkpoint(_dir.File("checkpoint"));
            Assert.Equal(0, report.SegmentsLinked);
            Assert.True(report.SegmentsCopied > 3);
            AssertOpens(report, history);
        }

        [Fact]
        public void ACheckpointOnAnotherFilesystemIsCopied()
        {
            // /dev/shm is a tmpfs, the temporary directory usually is not: linkat gives EXDEV there, and
            // copy_file_range too on kernels since 5.19 (the buffer then copies). Without it, the switch above covers this.
            if (!Directory.Exists("/dev/shm") || new DriveInfo("/dev/shm").Name == new DriveInfo(_dir.Path).Name)
            {
                return;
            }

            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.File("data"), SegmentSize = 4096 });
            var history = new WriteHistory();
            Fill(store, history, 60);
            string target = "/dev/shm/embedkv-checkpoint-" + Guid.NewGuid().ToString("N");
            try
            {
                CheckpointReport report = store.Checkpoint(target);
                Assert.Equal(0, report.SegmentsLinked);
                Assert.True(report.SegmentsCopied > 3);
                AssertOpens(report, history);
            }
            finally
            {
                Directory.Delete(target, recursive: true);
            }
        }

        [Fact]
        public void TheTargetMustBeNewOrAnEmptyDirectory()
        {
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.File("data") });
            store.Put(StoreModel.Bytes("k"), StoreModel.Bytes("v"));

            string full = _dir.File("full");
            Directory.CreateDirectory(full);
            File.WriteAllText(Path.Combine(full, "something"), "x");
            IOException notEmpty = Assert.Throws<IOException>(() => store.Checkpoint(full));
            Assert.Contains(full, notEmpty.Message, StringComparison.Ordinal);
            Assert.Single(Directory.GetFileSystemEntries(full));

            string withDirectory = _dir.File("with-directory");
            Directory.CreateDirectory(Path.Combine(withDirectory, "sub"));
            Assert.Throws<IOException>(() => store.Checkpoint(withDirectory));

            string file = _dir.File("a-file");
            File.WriteAllText(file, "x");
            IOException notDirectory = Assert.Throws<IOException>(() => store.Checkpoint(file));
            Assert.Contains(file, notDirectory.Message, StringComparison.Ordinal);

            string empty = _dir.File("empty");
            Directory.CreateDirectory(empty);
            CheckpointReport report = store.Checkpoint(empty);
            using KvStore copy = KvStore.Open(new StoreOptions { DataDirectory = report.Path });
            Assert.Equal(StoreModel.Bytes("v"), copy.Get(StoreModel.Bytes("k")));
        }

        [Fact]
        public void ACheckpointOfAClosedStoreIsRefused()
        {
            KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.File("data") });
            store.Dispose();
            Assert.Throws<ObjectDisposedException>(() => store.Checkpoint(_dir.File("checkpoint")));
            Assert.False(Directory.Exists(_dir.File("checkpoint")));
        }

        internal static void AssertOpens(CheckpointReport report, WriteHistory history)
        {
            CheckReport check = StoreCheck.Check(report.Path);
            Assert.False(check.IsDamaged, check.Summary);
            Assert.Empty(check.Findings);
            using KvStore checkpoint = KvStore.Open(new StoreOptions { DataDirectory = report.Path });
            history.AssertCheckpoint(checkpoint, report.Sequence, report.Path);
        }

        private static void Fill(KvStore store, WriteHistory history, int writes)
        {
            var random = new Random(7);
            for (int i = 0; i < writes; i++)
            {
                string key = "k" + random.Next(15);
                if (random.Next(5) == 0 && store.Contains(StoreModel.Bytes(key)))
                {
                    history.Add(key, store.Delete(StoreModel.Bytes(key), WriteCondition.IfExists).Version, null);
                    continue;
                }

                byte[] value = StoreModel.RandomBytes(random, random.Next(50, 900));
                history.Add(key, store.Put(StoreModel.Bytes(key), value, WriteCondition.None).Version, value);
            }
        }

        private static void WriteOwnKeys(KvStore store, WriteHistory history, int id, Func<bool> stop)
        {
            var random = new Random(id);
            bool[] exists = new bool[40];
            while (!stop())
            {
                int k = random.Next(exists.Length);
                string key = "w" + id + "-" + k;
                if (exists[k] && random.Next(4) == 0)
                {
                    WriteResult deleted = store.Delete(StoreModel.Bytes(key), WriteCondition.IfExists);
                    Assert.Equal(WriteOutcome.Deleted, deleted.Outcome);
                    history.Add(key, deleted.Version, null);
                    exists[k] = false;
                    continue;
                }

                byte[] value = StoreModel.RandomBytes(random, random.Next(0, 3000));
                bool expires = random.Next(4) == 0;
                WriteResult put = store.Put(StoreModel.Bytes(key), value, WriteCondition.None, expires ? TimeSpan.FromMinutes(1) : null);
                history.Add(key, put.Version, value, expires);
                exists[k] = true;
            }
        }

        private static void UploadOwnKeys(KvStore store, WriteHistory history, Func<bool> stop)
        {
            var random = new Random(99);
            while (!stop())
            {
                string key = "u" + random.Next(5);
                byte[] value = StoreModel.RandomBytes(random, random.Next(10_000, 200_000));
                ValueUpload upload = store.BeginUpload(StoreModel.Bytes(key));
                for (int done = 0; done < value.Length; done += 16_384)
                {
                    Assert.True(upload.Append(value.AsSpan(done, Math.Min(16_384, value.Length - done))));
                }

                var answer = new Acknowledgement();
                upload.Complete(answer, 0);
                history.Add(key, answer.Wait().Version, value);
            }
        }

        private static void Guard(List<Exception> errors, Action work)
        {
            try
            {
                work();
            }
            catch (Exception e)
            {
                lock (errors)
                {
                    errors.Add(e);
                }
            }
        }
    }
}
