using System;
using System.Collections.Generic;
using System.IO;

using System.Runtime.InteropServices;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Writes;
using EmbedKv.Server.Tests.Infrastructure;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// The modes of what the store creates (docs/storage.md, "File modes"): 0700 for the data directory, 0600
    /// for every file, whatever the umask. The umask is process-wide, so these run alone.
    /// </summary>
    [Collection(FileModeTests.Alone)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public sealed partial class FileModeTests : IDisposable
    {
        public const string Alone = "umask changes (not parallel)";

        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData(0x000)] // 000: nothing masked, so only the store's own fchmod keeps group and others out
        [InlineData(0x012)] // 022: the usual
        [InlineData(0x0BF)] // 0277: open would create the files read-only; the fchmod makes them 0600 again
        public void EveryFileAndTheDirectoryAreTheOwnersAloneWhateverTheUmask(int umask)
        {
            string data = Path.Combine(_dir.Path, "data");
            var seen = new Dictionary<string, UnixFileMode>(StringComparer.Ordinal);
            var hook = new PointHook();
            hook.AtPoint = name =>
            {
                // The manifest lives only between a merge's commit point and its clean-up, its outputs as .tmp before it.
                if (name is "merge.committed" or "merge.outputs-synced")
                {
                    Note(data, seen);
                }
            };

            uint previous = Umask((uint)umask);
            try
            {
                var options = new StoreOptions { DataDirectory = data, Durability = Durability.None, SegmentSize = 4096, AutomaticCompaction = false, Schedule = hook };
                using (KvStore store = KvStore.Open(options))
                {
                    hook.Store = store;
                    for (int i = 0; i < 40; i++)
                    {
                        store.Put(StoreModel.Bytes("k" + (i % 10)), new byte[300]);
                    }

                    ValueUpload upload = store.BeginUpload(StoreModel.Bytes("big"));
                    Assert.True(upload.Append(new byte[100_000]));
                    Note(data, seen); // seg-N.partial
                    upload.Complete(new IgnoredCompletion(), 0);
                    Assert.True(store.Compact() > 0);
                    Note(data, seen);
                }

                Note(data, seen);
                using (KvStore reopened = KvStore.Open(new StoreOptions { DataDirectory = data }))
                {
                    Assert.Equal(11, reopened.Count);
                    Note(data, seen);
                }
            }
            finally
            {
                Umask(previous);
            }

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
            Assert.Contains(seen.Keys, n => n.EndsWith(".partial", StringComparison.Ordinal));
            Assert.Contains(seen.Keys, n => n.EndsWith(".log.tmp", StringComparison.Ordinal));
            Assert.Contains("merge.manifest", seen.Keys);
            Assert.Contains(seen.Keys, n => n.EndsWith(".log", StringComparison.Ordinal));
            foreach ((string name, UnixFileMode mode) in seen)
            {
                Assert.True(mode == (UnixFileMode.UserRead | UnixFileMode.UserWrite), name + " has mode " + mode + " under umask " + Convert.ToString(umask, 8));
            }
        }

        [Fact]
        public void ADataDirectoryOthersCanWriteToIsLoggedAndLeftAlone()
        {
            string open = Path.Combine(_dir.Path, "open");
            string closed = Path.Combine(_dir.Path, "closed");
            Directory.CreateDirectory(open);
            Directory.CreateDirectory(closed);
            File.SetUnixFileMode(open, (UnixFileMode)0x1FF); // 0777
            File.SetUnixFileMode(closed, (UnixFileMode)0x1C0); // 0700

            var logger = new RecordingLogger();
            using (KvStore.Open(new StoreOptions { DataDirectory = open, Logger = logger }))
            {
            }

            LoggedEntry warning = Assert.Single(logger.Entries, e => e.EventId.Id == 231);
            Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
            Assert.Contains(open, warning.Message, StringComparison.Ordinal);
            Assert.Contains("0777", warning.Message, StringComparison.Ordinal);
            Assert.Equal((UnixFileMode)0x1FF, File.GetUnixFileMode(open)); // warned, not changed

            var quiet = new RecordingLogger();
            using (KvStore.Open(new StoreOptions { DataDirectory = closed, Logger = quiet }))
            {
            }

            Assert.DoesNotContain(quiet.Entries, e => e.EventId.Id == 231);
        }

        private static void Note(string directory, Dictionary<string, UnixFileMode> seen)
        {
            foreach (string path in Directory.GetFiles(directory))
            {
                string name = Path.GetFileName(path);
                UnixFileMode mode = File.GetUnixFileMode(path);
                if (!seen.TryGetValue(name, out UnixFileMode before) || before == (UnixFileMode.UserRead | UnixFileMode.UserWrite))
                {
                    seen[name] = mode;
                }
            }
        }

        [LibraryImport("libc", EntryPoint = "umask")]
        private static partial uint Umask(uint mask);

        private sealed class IgnoredCompletion : IWriteCompletion
        {
            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
            }
        }
    }

    [CollectionDefinition(FileModeTests.Alone, DisableParallelization = true)]
    public sealed class FileModeCollection
    {
    }
}
