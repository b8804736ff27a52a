using System;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.Versions
{
    /// <summary>
    /// Expiry in process (issue 13): the absolute expiry time is kept in the record (format 3), so it
    /// survives restarts; an expired key is absent everywhere, and a merge reclaims it without letting an
    /// older record of the key come back.
    /// </summary>
    public sealed class ExpiryTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ManualClock _clock = new ManualClock();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void AnExpiredKeyIsAbsentToReadsAndConditions()
        {
            using KvStore store = KvStore.Open(Options());
            WriteResult put = store.Put(Key("k"), Key("value"), WriteCondition.None, TimeSpan.FromSeconds(10));
            Assert.True(store.TryGetInfo(Key("k"), out ValueInfo info));
            Assert.Equal(_clock.Now.AddSeconds(10), info.Expires);
            Assert.Equal(put.Version, info.Version);

            _clock.Advance(TimeSpan.FromSeconds(9.5));
            Assert.True(store.Contains(Key("k")));

            _clock.Advance(TimeSpan.FromSeconds(0.5));
            Assert.Null(store.Get(Key("k")));
            Assert.False(store.Contains(Key("k")));
            Assert.False(store.TryGetInfo(Key("k"), out _));
            Assert.False(store.TryRead(Key("k"), new byte[16], out _));
            Assert.Equal(WriteOutcome.PreconditionFailed, store.Put(Key("k"), Key("x"), WriteCondition.IfVersion(put.Version)).Outcome);
            Assert.Equal(WriteOutcome.PreconditionFailed, store.Delete(Key("k"), WriteCondition.IfExists).Outcome);
            Assert.Equal(WriteOutcome.Created, store.Put(Key("k"), Key("again"), WriteCondition.IfAbsent).Outcome);
        }

        [Fact]
        public void APutWithoutTimeToLiveClearsTheExpiry()
        {
            using KvStore store = KvStore.Open(Options());
            store.Put(Key("k"), Key("one"), WriteCondition.None, TimeSpan.FromSeconds(5));
            store.Put(Key("k"), Key("two"));
            _clock.Advance(TimeSpan.FromHours(1));
            Assert.Equal(Key("two"), store.Get(Key("k"), out ValueInfo info));
            Assert.Null(info.Expires);
        }

        [Fact]
        public void TheExpiryTimeSurvivesARestartAndAStreamedValueCarriesItToo()
        {
            StoreOptions options = Options();
            DateTimeOffset expires = _clock.Now.AddSeconds(100);
            using (KvStore store = KvStore.Open(options))
            {
                store.Put(Key("small"), Key("value"), WriteCondition.None, TimeSpan.FromSeconds(100));
                var upload = store.BeginUpload(Key("large"), store.ExpiryOf(TimeSpan.FromSeconds(100)));
                upload.Append(new byte[200_000]);
                Complete(upload);
                store.Put(Key("forever"), Key("value"));
            }

            Assert.False(StoreCheck.Check(_dir.Path).IsDamaged);
            _clock.Advance(TimeSpan.FromSeconds(60)); // a restart must not start the count again
            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(3, store.Count);
                Assert.True(store.TryGetInfo(Key("small"), out ValueInfo small));
                Assert.True(store.TryGetInfo(Key("large"), out ValueInfo large));
                Assert.Equal((expires, expires, 200_000L), (small.Expires!.Value, large.Expires!.Value, large.Length));
            }

            _clock.Advance(TimeSpan.FromSeconds(40));
            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(1, store.Count);
                Assert.False(store.Contains(Key("small")));
                Assert.False(store.Contains(Key("large")));
                Assert.True(store.Contains(Key("forever")));
            }
        }

        [Fact]
        public void AMergeReclaimsExpiredValuesAndNoOlderValueComesBack()
        {
            StoreOptions options = Options();
            using (KvStore store = KvStore.Open(options))
            {
                // Each key first without expiry, in early segments; then with one, in later ones.
                for (int i = 0; i < 200; i++)
                {
                    store.Put(Key("k" + i), Old);
                }

                for (int i = 0; i < 200; i++)
                {
                    store.Put(Key("k" + i), new byte[500], WriteCondition.None, TimeSpan.FromSeconds(30));
                }

                store.Put(Key("kept"), Key("value"));
                _clock.Advance(TimeSpan.FromSeconds(31));
                long before = store.DiskBytes;
                Assert.True(store.Compact() >= 1);
                Assert.True(store.DiskBytes < before / 4, $"disk bytes {store.DiskBytes} of {before}: the expired values were not reclaimed");
                Assert.All(Enumerable.Range(0, 200), i => Assert.False(store.Contains(Key("k" + i))));
            }

            Assert.False(StoreCheck.Check(_dir.Path).IsDamaged);
            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(1, store.Count);
                Assert.Equal(Key("value"), store.Get(Key("kept")));
            }

            // Even with the clock stepped back, no value older than the expired one comes back: the merge
            // dropped the expired records only together with every older record of their keys.
            _clock.Now = _clock.Now.AddSeconds(-31);
            using (KvStore store = KvStore.Open(options))
            {
                Assert.All(Enumerable.Range(0, 200), i => Assert.NotEqual(Old, store.Get(Key("k" + i))));
            }
        }

        [Fact]
        public void AnExpiredStreamedValueNewerThanTheActiveSegmentsStartIsKeptByAMerge()
        {
            // The old value sits in the active segment, which no merge takes; the streamed value that
            // replaced it has a segment of its own. Dropping the expired streamed value would let the old
            // one come back at the next open.
            StoreOptions options = Options();
            using (KvStore store = KvStore.Open(options))
            {
                store.Put(Key("k"), Old);
                var upload = store.BeginUpload(Key("k"), store.ExpiryOf(TimeSpan.FromSeconds(5)));
                upload.Append(new byte[100]);
                Complete(upload);
                _clock.Advance(TimeSpan.FromSeconds(6));
                Assert.False(store.Contains(Key("k")));
                store.Compact();
                Assert.False(store.Contains(Key("k")));
            }

            using (KvStore store = KvStore.Open(options))
            {
                Assert.Null(store.Get(Key("k")));
            }
        }

        [Fact]
        public void TheCheckCountsAnExpiredKeyAsAbsent()
        {
            // StoreCheck judges by the system clock; the manual clock starts in 2020, so a value it gave one
            // second to live expired long ago for the check.
            using (KvStore store = KvStore.Open(Options()))
            {
                store.Put(Key("brief"), Key("value"), WriteCondition.None, TimeSpan.FromSeconds(1));
                store.Put(Key("forever"), Key("value"));
                store.Put(Key("future"), Key("value"), WriteCondition.None, TimeSpan.FromDays(365 * 50));
            }

            CheckReport report = StoreCheck.Check(_dir.Path);
            Assert.False(report.IsDamaged);
            Assert.Equal(2, report.Keys);
        }

        [Fact]
        public void ATimeToLiveOutsideItsRangeIsRefused()
        {
            using KvStore store = KvStore.Open(Options());
            Assert.Throws<ArgumentOutOfRangeException>(() => store.Put(Key("k"), Key("v"), WriteCondition.None, TimeSpan.Zero));
            Assert.Throws<ArgumentOutOfRangeException>(() => store.Put(Key("k"), Key("v"), WriteCondition.None, TimeSpan.FromDays(365 * 200)));
            Assert.False(store.Contains(Key("k")));
        }

        private StoreOptions Options() => new StoreOptions { DataDirectory = _dir.Path, AutomaticCompaction = false, SegmentSize = 32 * 1024, Clock = _clock };

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);

        private static byte[] Old { get; } = Enumerable.Repeat((byte)'o', 500).ToArray();

        /// <summary>Completes a streamed value and waits until the commit thread reports it stored.</summary>
        private static void Complete(EmbedKv.Server.Storage.Writes.ValueUpload upload)
        {
            var stored = new Stored();
            upload.Complete(stored, 0);
            Assert.True(stored.Done.Wait(TimeSpan.FromSeconds(10)), "the streamed value was not reported");
            Assert.True(stored.Outcome is WriteOutcome.Created or WriteOutcome.Replaced, stored.Outcome.ToString());
        }

        private sealed class Stored : IWriteCompletion
        {
            public System.Threading.ManualResetEventSlim Done { get; } = new System.Threading.ManualResetEventSlim();

            public WriteOutcome Outcome { get; private set; }

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                Outcome = outcome;
                Done.Set();
            }
        }
    }
}
