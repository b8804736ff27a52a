using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Threading;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Writes;
using EmbedKv.Server.Tests.Storage.FaultInjection;
using Microsoft.Win32.SafeHandles;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>Values streamed in chunks (<see cref="KvStore.BeginUpload"/>): stored whole or not at all.</summary>
    public sealed class UploadTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData("always")]
        [InlineData("batched:20ms")]
        [InlineData("none")]
        public void AMultiChunkValueRoundTripsExactly(string durability)
        {
            Assert.True(Durability.TryParse(durability, out Durability parsed));
            StoreOptions options = Options(parsed);
            var random = new Random(1);
            int[] chunks = { 1, 4096, 65536, 100_000, 0, 7, 300_000, 65535 };
            byte[] expected = StoreModel.RandomBytes(random, chunks.Sum());
            using (KvStore store = KvStore.Open(options))
            {
                store.Put(StoreModel.Bytes("before"), StoreModel.Bytes("a small value"));
                ValueUpload upload = store.BeginUpload(StoreModel.Bytes("streamed"));
                Assert.Single(Files("*.partial"));
                int sent = 0;
                foreach (int chunk in chunks)
                {
                    Assert.True(upload.Append(expected.AsSpan(sent, chunk)));
                    sent += chunk;
                    Assert.Equal(sent, upload.Length);
                }

                Assert.False(store.Contains(StoreModel.Bytes("streamed")), "visible before it was completed");
                Assert.Equal(WriteOutcome.Created, Complete(upload, token: 77));
                Assert.Empty(Files("*.partial"));

                Assert.Equal(expected, store.Get(StoreModel.Bytes("streamed")));
                Assert.True(store.TryGet(StoreModel.Bytes("streamed"), out StoredValue value));
                try
                {
                    Assert.Equal(expected.Length, value.Length);

                    // In odd-sized pieces through ReadValue, as a response writer would.
                    var viaStore = new byte[expected.Length];
                    for (int done = 0; done < viaStore.Length;)
                    {
                        int read = store.ReadValue(value, done, viaStore.AsSpan(done, Math.Min(9_999, viaStore.Length - done)));
                        Assert.True(read > 0);
                        done += read;
                    }

                    Assert.Equal(expected, viaStore);
                    Assert.Equal(0, store.ReadValue(value, value.Length, new byte[10]));

                    // And straight from the descriptor at the offset, as sendfile would.
                    using var handle = new SafeFileHandle(value.FileDescriptor, ownsHandle: false);
                    var viaDescriptor = new byte[expected.Length];
                    for (int done = 0; done < viaDescriptor.Length;)
                    {
                        int read = RandomAccess.Read(handle, viaDescriptor.AsSpan(done), value.FileOffset + done);
                        Assert.True(read > 0);
                        done += read;
                    }

                    Assert.Equal(expected, viaDescriptor);
                }
                finally
                {
                    value.Release();
                }
            }

            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(expected, store.Get(StoreModel.Bytes("streamed")));
                Assert.Equal(StoreModel.Bytes("a small value"), store.Get(StoreModel.Bytes("before")));
                Assert.Equal(0, store.Recovery.TornBytesDropped);
            }
        }

        [Fact]
        public void AbortLeavesNoFileAndNoKey()
        {
            using (KvStore store = KvStore.Open(Options(Durability.Always)))
            {
                string[] before = Files("*");
                ValueUpload upload = store.BeginUpload(StoreModel.Bytes("abandoned"));
                Assert.True(upload.Append(new byte[100_000]));
                upload.Abort();
                upload.Abort(); // a second abort is harmless

                Assert.Equal(before, Files("*"));
                Assert.False(store.Contains(StoreModel.Bytes("abandoned")));

                // The pooled upload object is fine to use again.
                ValueUpload again = store.BeginUpload(StoreModel.Bytes("kept"));
                Assert.True(again.Append(StoreModel.Bytes("value")));
                Assert.Equal(WriteOutcome.Created, Complete(again, token: 1));
                Assert.Equal(1, store.Count);
            }

            using (KvStore store = KvStore.Open(Options(Durability.Always)))
            {
                Assert.False(store.Contains(StoreModel.Bytes("abandoned")));
                Assert.Equal(StoreModel.Bytes("value"), store.Get(StoreModel.Bytes("kept")));
                Assert.Equal(0, store.Recovery.LeftoversDeleted);
            }
        }

        [Fact]
        public void AppendBeyondMaxValueLengthReturnsFalseAndWritesNothing()
        {
            StoreOptions options = Options(Durability.Always);
            options.MaxValueLength = 1000;
            using KvStore store = KvStore.Open(options);
            ValueUpload upload = store.BeginUpload(StoreModel.Bytes("limited"));
            Assert.True(upload.Append(new byte[600]));
            Assert.False(upload.Append(new byte[401]));
            Assert.Equal(600, upload.Length);
            Assert.True(upload.Append(Enumerable.Repeat((byte)7, 400).ToArray())); // exactly the maximum
            Assert.False(upload.Append(new byte[1]));
            Assert.Equal(WriteOutcome.Created, Complete(upload, token: 2));
            byte[] stored = store.Get(StoreModel.Bytes("limited"))!;
            Assert.Equal(1000, stored.Length);
            Assert.All(stored.AsSpan(600).ToArray(), b => Assert.Equal(7, b));

            ValueUpload tooLong = store.BeginUpload(StoreModel.Bytes("too long"));
            Assert.False(tooLong.Append(new byte[1001]));
            tooLong.Abort();
            Assert.False(store.Contains(StoreModel.Bytes("too long")));
            Assert.Empty(Files("*.partial"));
        }

        [Fact]
        public void AnUploadReplacesASmallValueAndASmallPutReplacesTheUpload()
        {
            byte[] big = StoreModel.RandomBytes(new Random(2), 500_000);
            using (KvStore store = KvStore.Open(Options(Durability.Always)))
            {
                store.Put(StoreModel.Bytes("k"), StoreModel.Bytes("small"));
                ValueUpload upload = store.BeginUpload(StoreModel.Bytes("k"));
                Assert.True(upload.Append(big.AsSpan(0, 200_000)));
                Assert.Equal(StoreModel.Bytes("small"), store.Get(StoreModel.Bytes("k"))); // the old value until completion
                Assert.True(upload.Append(big.AsSpan(200_000)));
                Assert.Equal(WriteOutcome.Replaced, Complete(upload, token: 3));
                Assert.Equal(big, store.Get(StoreModel.Bytes("k")));

                long deadBefore = store.DeadBytes;
                Assert.Equal(WriteOutcome.Replaced, store.Put(StoreModel.Bytes("k"), StoreModel.Bytes("small again")));
                Assert.Equal(StoreModel.Bytes("small again"), store.Get(StoreModel.Bytes("k")));
                Assert.True(store.DeadBytes >= deadBefore + big.Length, "the replaced upload is not counted dead");
                Assert.Equal(1, store.Count);
            }

            using (KvStore store = KvStore.Open(Options(Durability.Always)))
            {
                Assert.Equal(StoreModel.Bytes("small again"), store.Get(StoreModel.Bytes("k")));
                Assert.True(store.DeadBytes >= big.Length);
            }
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void ACrashMidUploadLeavesTheKeyAsItWas(bool partialNameDurable)
        {
            var directory = new FaultInjectingDirectory(_dir.Path);
            KvStore store = KvStore.Open(Options(Durability.Always), directory);
            store.Put(StoreModel.Bytes("k"), StoreModel.Bytes("old"));
            ValueUpload upload = store.BeginUpload(StoreModel.Bytes("k"));
            Assert.True(upload.Append(StoreModel.RandomBytes(new Random(3), 300_000)));
            if (partialNameDurable)
            {
                directory.Sync(); // so the .partial file outlives the crash and the next open must delete it
            }

            Assert.True(upload.Append(StoreModel.RandomBytes(new Random(4), 100_000)));
            directory.Crash(new Random(5));
            StoreModel.DisposeDead(store);
            Assert.Equal(partialNameDurable, Files("*.partial").Length == 1);

            using (KvStore reopened = KvStore.Open(Options(Durability.Always), new FaultInjectingDirectory(_dir.Path)))
            {
                Assert.Equal(partialNameDurable ? 1 : 0, reopened.Recovery.LeftoversDeleted);
                Assert.Empty(Files("*.partial"));
                Assert.Equal(StoreModel.Bytes("old"), reopened.Get(StoreModel.Bytes("k")));
                Assert.Equal(1, reopened.Count);
            }
        }

        [Fact]
        public void AnAcknowledgedUploadSurvivesACrash()
        {
            byte[] value = StoreModel.RandomBytes(new Random(6), 700_000);
            var directory = new FaultInjectingDirectory(_dir.Path);
            KvStore store = KvStore.Open(Options(Durability.Always), directory);
            store.Put(StoreModel.Bytes("k"), StoreModel.Bytes("old"));
            ValueUpload upload = store.BeginUpload(StoreModel.Bytes("k"));
            Assert.True(upload.Append(value.AsSpan(0, 123_456)));
            Assert.True(upload.Append(value.AsSpan(123_456)));
            Assert.Equal(WriteOutcome.Replaced, Complete(upload, token: 4));
            directory.Crash(new Random(7));
            StoreModel.DisposeDead(store);

            using KvStore reopened = KvStore.Open(Options(Durability.Always), new FaultInjectingDirectory(_dir.Path));
            Assert.Equal(value, reopened.Get(StoreModel.Bytes("k")));
        }

        /// <summary>Completes an upload and waits for the store's acknowledgement.</summary>
        internal static WriteOutcome Complete(ValueUpload upload, ulong token)
        {
            var completion = new Completion();
            upload.Complete(completion, token);
            WriteOutcome outcome = completion.Wait();
            Assert.Equal(token, completion.Token);
            return outcome;
        }

        private StoreOptions Options(Durability durability)
            => new StoreOptions { DataDirectory = _dir.Path, Durability = durability, SegmentSize = 64 * 1024, AutomaticCompaction = false };

        private string[] Files(string pattern)
            => Directory.GetFiles(_dir.Path, pattern).Select(Path.GetFileName).Where(n => !n!.StartsWith(".fi-", StringComparison.Ordinal)).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

        /// <summary>Hears one write's end; waiting allocates nothing.</summary>
        internal sealed class Completion : IWriteCompletion
        {
            private readonly ManualResetEventSlim _done = new ManualResetEventSlim(false);
            private WriteOutcome _outcome;

            public ulong Token { get; private set; }

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                Token = token;
                _outcome = outcome;
                _done.Set();
            }

            public WriteOutcome Wait()
            {
                if (!_done.Wait(TimeSpan.FromSeconds(120)))
                {
                    throw new TimeoutException("the store never completed the write");
                }

                return _outcome;
            }
        }
    }

    /// <summary>The 1 GiB streamed value: alone in the measurement collection, so no other test's memory use blurs its figures.</summary>
    [Collection(MeasurementCollection.Name)]
    public sealed class LargeUploadTests : IDisposable
    {
        private const long Gibibyte = 1L << 30;
        private const int ChunkSize = 64 * 1024;

        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public LargeUploadTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        /// <summary>
        /// LARGE: streams 1 GiB (the default MaxValueLength) in 64 KiB chunks from one reused buffer, and
        /// checks that neither the GC heap nor the resident set grows with the value's size. Writes 1 GiB
        /// to the temp directory (deleted afterwards) and takes a few seconds.
        /// </summary>
        [Fact]
        public void LARGE_OneGibibyteUploadStreamsInBoundedMemory()
        {
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.Path, Durability = Durability.Always, AutomaticCompaction = false });
            byte[] key = StoreModel.Bytes("one gibibyte");
            byte[] buffer = StoreModel.RandomBytes(new Random(8), ChunkSize);
            using IncrementalHash sentHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var completion = new UploadTests.Completion();

            bool peakReset = ProcessMemory.TryResetPeak();
            long rssBefore = ProcessMemory.StatusKiB("VmRSS");
            long peakBefore = ProcessMemory.StatusKiB("VmHWM");
            var elapsed = Stopwatch.StartNew();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();

            ValueUpload upload = store.BeginUpload(key);
            for (long chunk = 0; chunk < Gibibyte / ChunkSize; chunk++)
            {
                BinaryPrimitives.WriteInt64LittleEndian(buffer, chunk); // every chunk differs
                if (!upload.Append(buffer))
                {
                    throw new InvalidOperationException("Append refused chunk " + chunk);
                }

                sentHash.AppendData(buffer);
            }

            upload.Complete(completion, 42);
            WriteOutcome outcome = completion.Wait();

            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            long uploadMilliseconds = elapsed.ElapsedMilliseconds;
            long peakAfter = ProcessMemory.StatusKiB("VmHWM");
            long rssAfter = ProcessMemory.StatusKiB("VmRSS");
            long peakGrowthKiB = peakAfter - (peakReset ? rssBefore : peakBefore);
            _output.WriteLine("1 GiB upload: " + uploadMilliseconds + " ms (including its fdatasync); " + allocated + " bytes allocated on the thread; "
                + "RSS " + rssBefore + " -> " + rssAfter + " KiB, peak (VmHWM" + (peakReset ? ", reset before" : ", not resettable") + ") "
                + peakBefore + " -> " + peakAfter + " KiB: growth " + peakGrowthKiB + " KiB");

            Assert.Equal(WriteOutcome.Created, outcome);
            Assert.Equal(42UL, completion.Token);
            Assert.InRange(allocated, 0, 4L << 20);
            Assert.InRange(peakGrowthKiB, long.MinValue, 64 * 1024);

            // Read it back in chunks and compare digests.
            elapsed.Restart();
            using IncrementalHash readHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            Assert.True(store.TryGet(key, out StoredValue value));
            try
            {
                Assert.Equal(Gibibyte, value.Length);
                long offset = 0;
                while (true)
                {
                    int read = store.ReadValue(value, offset, buffer);
                    if (read == 0)
                    {
                        break;
                    }

                    readHash.AppendData(buffer, 0, read);
                    offset += read;
                }

                Assert.Equal(Gibibyte, offset);
            }
            finally
            {
                value.Release();
            }

            Assert.Equal(sentHash.GetHashAndReset(), readHash.GetHashAndReset());
            _output.WriteLine("read back and hashed in " + elapsed.ElapsedMilliseconds + " ms");
            Assert.Equal(WriteOutcome.Deleted, store.Delete(key));
        }
    }

    /// <summary>The process's memory figures from /proc/self/status.</summary>
    internal static class ProcessMemory
    {
        /// <summary>A field of /proc/self/status in KiB (VmRSS, VmHWM, ...).</summary>
        public static long StatusKiB(string field)
        {
            foreach (string line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    return long.Parse(line.AsSpan(field.Length + 1).Trim().ToString().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            throw new InvalidOperationException("/proc/self/status has no " + field);
        }

        /// <summary>Resets VmHWM to the current RSS (writing 5 to clear_refs, Linux 4.0+); false where not allowed.</summary>
        public static bool TryResetPeak()
        {
            try
            {
                File.WriteAllText("/proc/self/clear_refs", "5");
                return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
        }
    }
}
