using System;
using System.ComponentModel;
using System.Diagnostics;
using EmbedKv.Server.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>The data directory's flock(LOCK_EX | LOCK_NB): one open store per directory, in any process.</summary>
    public sealed class LockTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public LockTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void ASecondOpenInTheSameProcessIsRefusedUntilTheFirstCloses()
        {
            KvStore first = KvStore.Open(Options());
            try
            {
                first.Put(new byte[] { 1 }, new byte[] { 2 });
                StorageLockedException e = Assert.Throws<StorageLockedException>(() => KvStore.Open(Options()).Dispose());
                Assert.Contains(_dir.Path, e.Message, StringComparison.Ordinal);

                // The refused open changed nothing: the first store still works.
                first.Put(new byte[] { 3 }, new byte[] { 4 });
                Assert.Equal(new byte[] { 2 }, first.Get(new byte[] { 1 }));
            }
            finally
            {
                first.Dispose();
            }

            using KvStore second = KvStore.Open(Options());
            Assert.Equal(new byte[] { 2 }, second.Get(new byte[] { 1 }));
            Assert.Equal(new byte[] { 4 }, second.Get(new byte[] { 3 }));
        }

        [Fact]
        public void AnotherProcessCannotTakeTheLockWhileTheStoreIsOpen()
        {
            int? held;
            using (KvStore store = KvStore.Open(Options()))
            {
                held = Flock();
                if (held is null)
                {
                    return;
                }

                Assert.True(held == 1, "flock -n took the lock of an open store (exit code " + held + ")");
            }

            Assert.Equal(0, Flock());
        }

        [Fact]
        public void AFailedOpenReleasesTheLock()
        {
            // A segment damaged in the middle makes opening fail; the lock must not outlive the attempt.
            using (KvStore store = KvStore.Open(Options()))
            {
                for (int i = 0; i < 3; i++)
                {
                    store.Put(new byte[] { (byte)i }, new byte[100]);
                }
            }

            string segment = _dir.File("seg-00000001.log");
            TornTailTests.FlipByte(segment, 16 + 24 + 1 + 50); // the first record's value
            Assert.Throws<StorageCorruptedException>(() => KvStore.Open(Options()).Dispose());
            Assert.Throws<StorageCorruptedException>(() => KvStore.Open(Options()).Dispose());
            if (Flock() is { } code)
            {
                Assert.Equal(0, code);
            }
        }

        /// <summary>Runs <c>flock -n &lt;dir&gt; true</c>: 0 if it got the lock, 1 if not, null if flock is missing.</summary>
        private int? Flock()
        {
            try
            {
                var start = new ProcessStartInfo("flock", "-n " + _dir.Path + " true") { UseShellExecute = false, RedirectStandardError = true };
                using Process process = Process.Start(start)!;
                string error = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (error.Length > 0)
                {
                    _output.WriteLine("flock: " + error);
                }

                return process.ExitCode;
            }
            catch (Win32Exception e)
            {
                _output.WriteLine("SKIPPED (no cross-process check): cannot run flock: " + e.Message);
                return null;
            }
        }

        private StoreOptions Options() => new StoreOptions { DataDirectory = _dir.Path, SegmentSize = 1 << 20, AutomaticCompaction = false };
    }
}
