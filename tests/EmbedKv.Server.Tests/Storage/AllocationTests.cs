using System;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Threading;
using EmbedKv.Server.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// The store's hot paths allocate nothing on the GC heap once warm, and its index lives off the heap,
    /// so a large key set costs the collector nothing. Runs alone (<see cref="MeasurementCollection"/>):
    /// process-wide figures would otherwise count other tests' allocations.
    /// </summary>
    [Collection(MeasurementCollection.Name)]
    public sealed class AllocationTests : IDisposable
    {
        private const long Tolerance = 64 * 1024;

        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public AllocationTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void OperationsAllocateNothingUnderBatchedDurability()
        {
            using KvStore store = KvStore.Open(Options(Durability.Batched(TimeSpan.FromSeconds(1))));
            var workload = new Workload(store, seed: 1);
            workload.Run(20_000);

            long before = GC.GetAllocatedBytesForCurrentThread();
            workload.Run(50_000);
            long fifty = GC.GetAllocatedBytesForCurrentThread() - before;

            before = GC.GetAllocatedBytesForCurrentThread();
            workload.Run(100_000);
            long hundred = GC.GetAllocatedBytesForCurrentThread() - before;

            _output.WriteLine("Batched(1 s): " + fifty + " bytes allocated over 50,000 operations, " + hundred + " over 100,000 ("
                + workload.Keys + " keys, " + store.IndexBytes + " index bytes)");
            workload.Verify(otherKeys: 0);
            Assert.InRange(fifty, 0, Tolerance);
            Assert.InRange(hundred, 0, Tolerance);
            Assert.True(hundred <= (fifty * 3 / 2) + 8192, "allocation grows with the operation count: " + fifty + " then " + hundred);
        }

        [Fact]
        public void OperationsAllocateNothingUnderAlwaysDurability()
        {
            using KvStore store = KvStore.Open(Options(Durability.Always));
            var workload = new Workload(store, seed: 2);
            workload.Run(2_000);

            long before = GC.GetAllocatedBytesForCurrentThread();
            workload.Run(1_000);
            long thousand = GC.GetAllocatedBytesForCurrentThread() - before;

            before = GC.GetAllocatedBytesForCurrentThread();
            workload.Run(2_000);
            long twoThousand = GC.GetAllocatedBytesForCurrentThread() - before;

            // The commit thread's share too: every allocation in the process while four writers put.
            const int Threads = 4;
            const int PutsPerThread = 500;
            using var go = new ManualResetEventSlim(false);
            using var done = new CountdownEvent(Threads);
            using var warm = new CountdownEvent(Threads);
            var threads = new Thread[Threads];
            for (int t = 0; t < Threads; t++)
            {
                int id = t;
                threads[t] = new Thread(() =>
                {
                    Span<byte> key = stackalloc byte[16];
                    Span<byte> value = stackalloc byte[100];
                    BinaryPrimitives.WriteInt64LittleEndian(key, 1_000_000 + id);
                    for (int i = 0; i < 50; i++)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(key.Slice(8), i);
                        store.Put(key, value); // warms this thread's waiter and the commit path
                    }

                    warm.Signal();
                    go.Wait();
                    for (int i = 0; i < PutsPerThread; i++)
                    {
                        BinaryPrimitives.WriteInt64LittleEndian(key.Slice(8), 1000 + i);
                        BinaryPrimitives.WriteInt32LittleEndian(value, i);
                        store.Put(key, value);
                    }

                    done.Signal();
                });
                threads[t].Start();
            }

            warm.Wait();
            long syncsBefore = store.SyncBatches;
            long processBefore = GC.GetTotalAllocatedBytes(precise: true);
            go.Set();
            done.Wait();
            long process = GC.GetTotalAllocatedBytes(precise: true) - processBefore;
            long syncs = store.SyncBatches - syncsBefore;
            foreach (Thread thread in threads)
            {
                thread.Join();
            }

            _output.WriteLine("Always: " + thousand + " bytes allocated on the writer over 1,000 operations, " + twoThousand + " over 2,000; "
                + "whole process over " + (Threads * PutsPerThread) + " puts from " + Threads + " threads (" + syncs + " group commits): " + process + " bytes");
            workload.Verify(otherKeys: Threads * (50 + PutsPerThread));
            Assert.InRange(thousand, 0, Tolerance);
            Assert.InRange(twoThousand, 0, Tolerance);
            Assert.True(twoThousand <= (thousand * 3 / 2) + 8192, "allocation grows with the operation count: " + thousand + " then " + twoThousand);
            Assert.InRange(process, 0, 256 * 1024);
        }

        [Fact]
        public void LoadingAMillionKeysCausesNoGen2Collection()
        {
            const int Keys = 1_000_000;
            using KvStore store = KvStore.Open(new StoreOptions
            {
                DataDirectory = _dir.Path,
                Durability = Durability.None,
                SegmentSize = 256L << 20,
                AutomaticCompaction = false,
            });
            Span<byte> key = stackalloc byte[16];
            Span<byte> value = stackalloc byte[32];
            int gen0 = GC.CollectionCount(0);
            int gen1 = GC.CollectionCount(1);
            int gen2 = GC.CollectionCount(2);
            var elapsed = new Stopwatch();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            elapsed.Start();
            for (int i = 0; i < Keys; i++)
            {
                KeyOf(key, i);
                BinaryPrimitives.WriteInt64LittleEndian(value, ~(long)i);
                store.Put(key, value);
            }

            elapsed.Stop();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            int gen2After = GC.CollectionCount(2);
            _output.WriteLine("1,000,000 keys (16-byte keys, 32-byte values, Durability.None) loaded in " + elapsed.ElapsedMilliseconds + " ms ("
                + (Keys / elapsed.Elapsed.TotalSeconds).ToString("N0", System.Globalization.CultureInfo.InvariantCulture) + " puts/s); index "
                + store.IndexBytes + " bytes = " + (store.IndexBytes / (double)Keys).ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " bytes per key; "
                + allocated + " bytes allocated on the thread; collections gen0 " + (GC.CollectionCount(0) - gen0) + ", gen1 " + (GC.CollectionCount(1) - gen1)
                + ", gen2 " + (gen2After - gen2));

            Assert.Equal(gen2, gen2After);
            Assert.Equal(Keys, store.Count);
            Assert.InRange(allocated, 0, Tolerance);
            Assert.InRange(store.IndexBytes / Keys, 16, 200);
            Span<byte> read = stackalloc byte[32];
            foreach (int i in new[] { 0, 1, 499_999, 999_999 })
            {
                KeyOf(key, i);
                Assert.True(store.TryGet(key, out StoredValue stored));
                Assert.Equal(32, store.ReadValue(stored, 0, read));
                stored.Release();
                Assert.Equal(~(long)i, BinaryPrimitives.ReadInt64LittleEndian(read));
            }
        }

        private static void KeyOf(Span<byte> key, long i)
        {
            BinaryPrimitives.WriteInt64LittleEndian(key, i);
            BinaryPrimitives.WriteInt64LittleEndian(key.Slice(8), unchecked(i * (long)0x9E3779B97F4A7C15UL));
        }

        private StoreOptions Options(Durability durability)
            => new StoreOptions { DataDirectory = _dir.Path, Durability = durability, SegmentSize = 256L << 20, AutomaticCompaction = false };

        /// <summary>
        /// Mixed operations on 16-byte keys with nothing allocated by the caller: 3/8 puts of new keys, 2/8
        /// overwrites, 2/8 TryGet + ReadValue + Release, 1/8 deletes. It keeps the version it last wrote
        /// per key in an array, so <see cref="Verify"/> can check the store afterwards.
        /// </summary>
        private sealed class Workload
        {
            private const int ValueLength = 100;

            private readonly KvStore _store;
            private readonly Random _random;
            private readonly byte[] _value = new byte[ValueLength];
            private readonly byte[] _read = new byte[256];
            private readonly int[] _versions = new int[1 << 18]; // per key, 0 = absent; sized up front so Run allocates nothing
            private int _next;
            private int _version;

            public Workload(KvStore store, int seed)
            {
                _store = store;
                _random = new Random(seed);
            }

            public int Keys => _next;

            public void Run(int operations)
            {
                if (_versions.Length < _next + operations)
                {
                    throw new InvalidOperationException("the workload can track " + _versions.Length + " keys");
                }

                Span<byte> key = stackalloc byte[16];
                for (int n = 0; n < operations; n++)
                {
                    int what = n & 7;
                    int id = what < 3 || _next == 0 ? _next++ : _random.Next(_next);
                    KeyOf(key, id);
                    if (what < 5)
                    {
                        int version = ++_version;
                        BinaryPrimitives.WriteInt32LittleEndian(_value, id);
                        BinaryPrimitives.WriteInt32LittleEndian(_value.AsSpan(4), version);
                        _store.Put(key, _value);
                        _versions[id] = version;
                    }
                    else if (what < 7)
                    {
                        if (_store.TryGet(key, out StoredValue stored))
                        {
                            int read = _store.ReadValue(stored, 0, _read);
                            stored.Release();
                            if (read != ValueLength || BinaryPrimitives.ReadInt32LittleEndian(_read.AsSpan(4)) != _versions[id])
                            {
                                throw new InvalidOperationException("key " + id + " read wrong");
                            }
                        }
                        else if (_versions[id] != 0)
                        {
                            throw new InvalidOperationException("key " + id + " is missing");
                        }
                    }
                    else
                    {
                        _store.Delete(key);
                        _versions[id] = 0;
                    }
                }
            }

            /// <summary>Checks every key the workload wrote; <paramref name="otherKeys"/> more exist in the store.</summary>
            public void Verify(int otherKeys)
            {
                Span<byte> key = stackalloc byte[16];
                int live = 0;
                for (int id = 0; id < _next; id++)
                {
                    KeyOf(key, id);
                    byte[]? value = _store.Get(key);
                    if (_versions[id] == 0)
                    {
                        Assert.Null(value);
                        continue;
                    }

                    live++;
                    Assert.NotNull(value);
                    Assert.Equal(_versions[id], BinaryPrimitives.ReadInt32LittleEndian(value.AsSpan(4)));
                }

                Assert.Equal(live + otherKeys, _store.Count);
            }
        }
    }

    /// <summary>Tests whose figures are process-wide (allocation totals, peak RSS, gen-2 counts) run alone, after the parallel ones.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class MeasurementCollection
    {
        public const string Name = "storage-measurements";
    }
}
