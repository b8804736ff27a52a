using System;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.Checkpoints
{
    /// <summary>
    /// The checkpoint's target is only ever whole (docs/storage.md, "Checkpoints"): built in a staging
    /// directory and renamed into place, so a checkpoint cut short leaves nothing under the target's name,
    /// and two checkpoints into one path cannot remove each other's files. Both defects were found by review
    /// (a checkpoint losing a race deleted the winner's; a prefix of the segments opened as a clean store).
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public sealed class CheckpointTargetTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void TwoCheckpointsIntoOnePathLeaveTheWinnersWhole()
        {
            var hook = new AtPoints();
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.File("data"), AutomaticCompaction = false, Schedule = hook });
            for (int i = 0; i < 10; i++)
            {
                store.Put(Encoding.UTF8.GetBytes("k" + i), Encoding.UTF8.GetBytes("v" + i)); // the active segment only: copied, not linked
            }

            string target = _dir.File("checkpoint");
            CheckpointReport? inner = null;
            bool started = false;
            hook.AtPoint = name =>
            {
                if (name == "checkpoint.pinned" && !started)
                {
                    started = true;
                    inner = store.Checkpoint(target); // another caller into the same path, finishing first
                }
            };

            IOException lost = Assert.Throws<IOException>(() => store.Checkpoint(target));
            Assert.Contains("was taken while the checkpoint was written", lost.Message, StringComparison.Ordinal);
            Assert.NotNull(inner);
            Assert.False(StoreCheck.Check(target).IsDamaged);
            using (KvStore copy = KvStore.Open(new StoreOptions { DataDirectory = target }))
            {
                Assert.Equal(10, copy.Count);
            }

            Assert.Equal(new[] { "checkpoint", "data" }, Directory.GetFileSystemEntries(_dir.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }

        [Fact]
        public void NothingIsUnderTheTargetsNameUntilTheCheckpointIsWhole()
        {
            var hook = new AtPoints();
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.File("data"), SegmentSize = 4096, AutomaticCompaction = false, Schedule = hook });
            for (int i = 0; i < 200; i++)
            {
                store.Put(Encoding.UTF8.GetBytes("k" + i), new byte[100]);
            }

            string target = _dir.File("checkpoint");
            int files = 0;
            string? staging = null;
            hook.AtPoint = name =>
            {
                if (name is "checkpoint.file" or "checkpoint.publish")
                {
                    // Where a crash or a kill would stop it: the target does not exist yet; the staging directory does.
                    files++;
                    Assert.False(Directory.Exists(target), "the target exists at " + name + " after " + files + " files");
                    staging = Assert.Single(Directory.GetDirectories(_dir.Path, ".checkpoint.checkpoint-*"));
                }
            };

            CheckpointReport report = store.Checkpoint(target);
            Assert.True(report.SegmentsLinked + report.SegmentsCopied > 3, "too few files to stop between");
            Assert.True(files > 3);
            Assert.False(Directory.Exists(staging), "the staging directory outlived the rename");
            using KvStore copy = KvStore.Open(new StoreOptions { DataDirectory = target });
            Assert.Equal(200, copy.Count);
        }

        [Fact]
        public void AFailedCheckpointLeavesNoStagingBehind()
        {
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.File("data") });
            store.Put("k"u8.ToArray(), "v"u8.ToArray());
            string target = _dir.File("occupied");
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, "mine"), "not yours");
            Assert.Throws<IOException>(() => store.Checkpoint(target));
            Assert.Empty(Directory.GetDirectories(_dir.Path, ".*checkpoint-*"));
            Assert.Equal("not yours", File.ReadAllText(Path.Combine(target, "mine")));

            // An empty directory is taken, replaced by the whole checkpoint in one rename.
            string empty = _dir.File("empty");
            Directory.CreateDirectory(empty);
            store.Checkpoint(empty);
            using KvStore copy = KvStore.Open(new StoreOptions { DataDirectory = empty });
            Assert.Equal(1, copy.Count);
        }

        /// <summary>The store's own threads, with a test's action at its named points (on whatever thread reaches them).</summary>
        private sealed class AtPoints : StoreSchedule
        {
            public Action<string>? AtPoint { get; set; }

            public override void Point(string name) => AtPoint?.Invoke(name);
        }
    }
}
