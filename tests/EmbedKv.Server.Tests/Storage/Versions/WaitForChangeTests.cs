using System;
using System.Diagnostics;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.Versions
{
    /// <summary>
    /// The in-process wait for a change (<see cref="KvStore.WaitForChangeAsync"/>), the long-poll without
    /// HTTP: it completes when its key is written, deleted or expires, at once if the key is already at
    /// another version, with false when its time is up, and never for another key. The race between a
    /// wait's first look and its registration is the simulation's ("wait.watching", StoreSimulator).
    /// </summary>
    public sealed class WaitForChangeTests : IDisposable
    {
        private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task APutOfTheKeyCompletesAWaitFromAbsent()
        {
            using KvStore store = Open(Durability.Always);
            ValueTask<bool> wait = store.WaitForChangeAsync(Key("k"), 0, Long);
            Assert.False(wait.IsCompleted);
            Assert.Equal(1, store.WaitsUnderWay);

            WriteResult put = await Task.Run(() => store.Put(Key("k"), Key("v"), WriteCondition.None));
            Assert.True(await wait);
            Assert.True(store.TryGetInfo(Key("k"), out ValueInfo info));
            Assert.Equal(put.Version, info.Version);
            Assert.Equal(0, store.WaitsUnderWay);
            Assert.Equal(0, store.Changes.WatchedCount);
        }

        [Fact]
        public async Task ADeleteCompletesAWaitFromItsVersion()
        {
            using KvStore store = Open(Durability.Always);
            ulong version = store.Put(Key("k"), Key("v"), WriteCondition.None).Version;
            ValueTask<bool> wait = store.WaitForChangeAsync(Key("k"), version, Long);
            Assert.False(wait.IsCompleted);
            Assert.Equal(WriteOutcome.Deleted, store.Delete(Key("k")));
            Assert.True(await wait);
        }

        [Fact]
        public async Task AnExpiryCompletesAWait()
        {
            using KvStore store = Open(Durability.None);
            ulong version = store.Put(Key("k"), Key("v"), WriteCondition.None, TimeSpan.FromSeconds(1)).Version;
            Assert.True(store.TryGetInfo(Key("k"), out ValueInfo info));
            var clock = Stopwatch.StartNew();
            Assert.True(await store.WaitForChangeAsync(Key("k"), version, Long));
            Assert.False(store.Contains(Key("k")));
            Assert.True(DateTimeOffset.UtcNow >= info.Expires, "completed before the value expired");
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "took " + clock.Elapsed);
        }

        [Fact]
        public async Task AWaitFromAnotherVersionCompletesAtOnceAndAWaitWithNoTimeDoesNotWait()
        {
            using KvStore store = Open(Durability.None);
            ulong version = store.Put(Key("k"), Key("v"), WriteCondition.None).Version;
            Assert.True(store.WaitForChangeAsync(Key("k"), version - 1, Long).IsCompletedSuccessfully);
            Assert.True(await store.WaitForChangeAsync(Key("k"), 0, Long));
            Assert.True(await store.WaitForChangeAsync(Key("absent"), version, Long));
            Assert.False(await store.WaitForChangeAsync(Key("k"), version, TimeSpan.Zero));
            Assert.Equal(0, store.WaitsUnderWay);
        }

        [Fact]
        public async Task AWaitEndsWithFalseWhenItsTimeIsUpAndAnotherKeyDoesNotWakeIt()
        {
            using KvStore store = Open(Durability.None);
            ulong version = store.Put(Key("k"), Key("v"), WriteCondition.None).Version;
            var clock = Stopwatch.StartNew();
            ValueTask<bool> wait = store.WaitForChangeAsync(Key("k"), version, TimeSpan.FromMilliseconds(300));
            store.Put(Key("k2"), Key("other"));
            store.Put(Key("kk"), Key("other"));
            store.Delete(Key("k2"));
            Assert.False(await wait);
            Assert.InRange(clock.Elapsed, TimeSpan.FromMilliseconds(290), TimeSpan.FromSeconds(5));
            Assert.Equal(0, store.Changes.WatchedCount);
        }

        [Fact]
        public async Task AWaitThatSawAWriteIsNotEndedByThatWritesLateReport()
        {
            // Seen failing (review of the first version): the wait ended "changed" with its key still at the
            // version it waited from. A writer is held between its index change and its report (the feed's
            // lock); a wait looks at the new version meanwhile, and the late report is of that same write.
            using KvStore store = Open(Durability.None);
            byte[] key = Key("k");
            ulong first = store.Put(key, Key("one"), WriteCondition.None).Version;
            ValueTask<bool> elsewhere = store.WaitForChangeAsync(Key("other"), 0, Long); // something watched: reports take the lock
            ValueTask<bool> wait;
            Thread writer;
            lock (store.Changes.SyncRoot)
            {
                writer = new Thread(() => store.Put(key, Key("two")));
                writer.Start();
                SpinUntil(() => store.VersionNow(key, out _) != first);
                Assert.True(store.TryGetInfo(key, out ValueInfo seen));
                wait = store.WaitForChangeAsync(key, seen.Version, TimeSpan.FromMilliseconds(500));
            }

            writer.Join();
            Assert.False(await wait);
            store.Put(Key("other"), Key("x"));
            Assert.True(await elsewhere);
        }

        [Fact]
        public async Task AWaitLongerThanATimerCanBeSetIsTakenAndEnds()
        {
            // Seen failing (review): ITimer refuses more than 2^32-2 ms, and the wait stayed registered for good.
            using KvStore store = Open(Durability.None);
            ValueTask<bool> wait = store.WaitForChangeAsync(Key("k"), 0, TimeSpan.FromDays(60));
            Assert.False(wait.IsCompleted);
            store.Put(Key("k"), Key("v"));
            Assert.True(await wait);
            Assert.Equal(0, store.WaitsUnderWay);
            Assert.Equal(0, store.Changes.WatchedCount);
        }

        [Fact]
        public async Task ACancelledWaitThrowsAndAClosedStoreEndsItsWaits()
        {
            KvStore store = Open(Durability.None);
            using var cancel = new CancellationTokenSource();
            ValueTask<bool> cancelled = store.WaitForChangeAsync(Key("k"), 0, Long, cancel.Token);
            ValueTask<bool> closed = store.WaitForChangeAsync(Key("k"), 0, Long);
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await cancelled);
            Assert.Equal(1, store.WaitsUnderWay);
            store.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(async () => await closed);
            Assert.Throws<ArgumentOutOfRangeException>(() => store.WaitForChangeAsync(Key("k"), 0, TimeSpan.FromSeconds(-2)));
        }

        [Fact]
        public async Task ManyWaitsOnOneKeyAllCompleteAndWaitsAreReusedWithoutAllocating()
        {
            using KvStore store = Open(Durability.None);
            byte[] key = Key("k");
            byte[] value = Key("v");
            ulong version = 0;

            // A wait the writer completes on this very thread (Durability None applies inline): its result
            // is taken at once, and its record serves the next wait.
            RunRounds(store, key, value, ref version, 1_000);
            Assert.Equal(0, Http.Allocations.InSteadyState(() => RunRounds(store, key, value, ref version, 1_000)));

            ValueTask<bool>[] waits = new ValueTask<bool>[64];
            for (int i = 0; i < waits.Length; i++)
            {
                waits[i] = store.WaitForChangeAsync(key, version, Long);
            }

            store.Delete(key);
            foreach (ValueTask<bool> wait in waits)
            {
                Assert.True(wait.IsCompletedSuccessfully);
                Assert.True(await wait);
            }
        }

        private static void RunRounds(KvStore store, byte[] key, byte[] value, ref ulong version, int rounds)
        {
            for (int i = 0; i < rounds; i++)
            {
                ValueTask<bool> wait = store.WaitForChangeAsync(key, version, Long);
                version = store.Put(key, value, WriteCondition.None).Version;
                if (!wait.IsCompletedSuccessfully || !wait.Result)
                {
                    throw new InvalidOperationException("the wait did not complete with the write");
                }
            }
        }

        private static void SpinUntil(Func<bool> done)
        {
            var clock = Stopwatch.StartNew();
            while (!done())
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "timed out");
                Thread.Yield();
            }
        }

        private KvStore Open(Durability durability) => KvStore.Open(new StoreOptions { DataDirectory = _dir.Path, Durability = durability });

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);
    }
}
