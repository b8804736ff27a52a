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
using EmbedKv.Server.Storage.Writes;
using EmbedKv.Server.Tests.Infrastructure;
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

            public void OnWriteCompleted(ulong token, WriteOutcome outcome)
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
