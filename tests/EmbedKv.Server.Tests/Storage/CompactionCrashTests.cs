using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage.FaultInjection;

namespace EmbedKv.Server.Tests.Storage
{
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
