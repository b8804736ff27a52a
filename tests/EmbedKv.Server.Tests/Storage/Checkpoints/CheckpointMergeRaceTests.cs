using System;
using System.Globalization;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.Checkpoints
{
    /// <summary>
    /// A merge that commits and deletes its inputs in the middle of a checkpoint, at a point the seed picks
    /// (the store's schedule points, on one thread: <see cref="PointHook"/>), with writes after the point
    /// before it. The checkpoint must still hold exactly the writes up to its sequence. A failure names its
    /// seed and the command that replays it.
    /// </summary>
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public sealed class CheckpointMergeRaceTests
    {
        private const string Replay = "EMBEDKV_CHECKPOINT_SEED";

        [Fact]
        public void AMergeThatRetiresItsInputsDuringACheckpointLeavesItWhole()
        {
            int? one = int.TryParse(Environment.GetEnvironmentVariable(Replay), NumberStyles.Integer, CultureInfo.InvariantCulture, out int seed) ? seed : null;
            int copiedRetired = 0;
            for (int s = one ?? 1; s <= (one ?? 40); s++)
            {
                try
                {
                    copiedRetired += Run(s);
                }
                catch (Exception e)
                {
                    throw new Xunit.Sdk.XunitException("seed " + s + " failed; replay it with: " + Replay + "=" + s
                        + " dotnet test tests/EmbedKv.Server.Tests --filter FullyQualifiedName~CheckpointMergeRaceTests\n" + e);
                }
            }

            // Some seeds must have merged away segments the checkpoint had pinned but not yet linked.
            Assert.True(one is not null || copiedRetired > 0, "no seed copied a segment a merge had deleted");
        }

        /// <summary>One seed; returns how many sealed segments were copied because the merge had deleted them.</summary>
        private static int Run(int seed)
        {
            var random = new Random(seed);
            using var dir = new TempDirectory();
            var hook = new PointHook();
            var options = new StoreOptions { DataDirectory = dir.File("data"), SegmentSize = 4096, AutomaticCompaction = false, Schedule = hook };
            var history = new WriteHistory();
            using KvStore store = KvStore.Open(options);
            hook.Store = store;
            int keys = random.Next(5, 20);
            for (int i = random.Next(40, 160); i > 0; i--)
            {
                Write(store, history, random, keys);
            }

            // The merge runs once the checkpoint has pinned its files and taken `at` of them (0: before the first).
            int at = random.Next(0, 4);
            int taken = 0;
            int merged = 0;
            hook.AtPoint = name =>
            {
                if (merged != 0 || (name != "checkpoint.pinned" && name != "checkpoint.file") || (name == "checkpoint.file" && ++taken < at) || (name == "checkpoint.pinned" && at != 0))
                {
                    return;
                }

                for (int i = random.Next(1, 30); i > 0; i--)
                {
                    Write(store, history, random, keys); // after the point: none of these may be in the checkpoint
                }

                merged = store.Compact();
            };

            CheckpointReport report = store.Checkpoint(dir.File("checkpoint"));
            hook.AtPoint = null;
            Assert.True(merged > 0, "the merge did not run (at " + at + ", " + taken + " files taken)");
            CheckpointTests.AssertOpens(report, history);

            // The live store goes on as if nothing happened.
            Write(store, history, random, keys);
            return Math.Max(0, report.SegmentsCopied - 1);
        }

        private static void Write(KvStore store, WriteHistory history, Random random, int keys)
        {
            string key = "k" + random.Next(keys);
            var answer = new Acknowledgement();
            byte[]? value = null;
            if (random.Next(5) == 0)
            {
                store.BeginDelete(StoreModel.Bytes(key), answer, 0);
            }
            else
            {
                value = StoreModel.RandomBytes(random, random.Next(20, 1200));
                store.BeginPut(StoreModel.Bytes(key), value, answer, 0);
            }

            if (!answer.IsDone)
            {
                store.RunCommitRound();
            }

            answer.Wait();
            if (answer.Outcome != WriteOutcome.NotFound)
            {
                history.Add(key, answer.Version, value);
            }
        }
    }
}
