using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.Versions
{
    /// <summary>
    /// Versions and conditional writes in process (issue 13): every write gives its key a new version that
    /// survives restarts and merges, and a condition is checked in one atomic step with its write, against
    /// writes still syncing too.
    /// </summary>
    public sealed class ConditionalWriteTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void EveryWriteGivesANewVersionThatSurvivesRestartAndMerge()
        {
            StoreOptions options = Options();
            ulong first, second;
            using (KvStore store = KvStore.Open(options))
            {
                first = store.Put(Key("a"), Key("same"), WriteCondition.None).Version;
                second = store.Put(Key("a"), Key("same"), WriteCondition.None).Version;
                Assert.True(second > first, "rewriting the same bytes must change the version");
                Assert.True(store.TryGetInfo(Key("a"), out ValueInfo info));
                Assert.Equal((4L, second, 0L), (info.Length, info.Version, info.ExpiresAtUnixSeconds));
                store.Put(Key("b"), Key("other"));
                store.Delete(Key("b"));
            }

            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(Key("same"), store.Get(Key("a"), out ValueInfo info));
                Assert.Equal(second, info.Version);
                Assert.True(store.Compact() >= 1);
                Assert.True(store.TryGetInfo(Key("a"), out info));
                Assert.Equal(second, info.Version);
                Assert.True(store.Put(Key("c"), Key("new"), WriteCondition.None).Version > second, "versions only rise, across restarts too");
            }
        }

        [Fact]
        public void CreateOnlyCompareAndSetAndConditionalDeleteFollowTheKeysState()
        {
            using KvStore store = KvStore.Open(Options());
            WriteResult created = store.Put(Key("k"), Key("one"), WriteCondition.IfAbsent);
            Assert.Equal(WriteOutcome.Created, created.Outcome);
            Assert.Equal(new WriteResult(WriteOutcome.PreconditionFailed, 0), store.Put(Key("k"), Key("two"), WriteCondition.IfAbsent));
            Assert.Equal(Key("one"), store.Get(Key("k")));

            Assert.Equal(WriteOutcome.PreconditionFailed, store.Put(Key("k"), Key("two"), WriteCondition.IfVersion(created.Version + 1)).Outcome);
            WriteResult replaced = store.Put(Key("k"), Key("two"), WriteCondition.IfVersion(created.Version));
            Assert.Equal(WriteOutcome.Replaced, replaced.Outcome);
            Assert.Equal(WriteOutcome.PreconditionFailed, store.Put(Key("k"), Key("three"), WriteCondition.IfVersion(created.Version)).Outcome);
            Assert.Equal(Key("two"), store.Get(Key("k")));

            Assert.Equal(WriteOutcome.PreconditionFailed, store.Put(Key("absent"), Key("x"), WriteCondition.IfExists).Outcome);
            Assert.Equal(WriteOutcome.Replaced, store.Put(Key("k"), Key("three"), WriteCondition.IfExists).Outcome);
            Assert.False(store.Contains(Key("absent")));

            ulong current = store.Put(Key("k"), Key("four"), WriteCondition.None).Version;
            Assert.Equal(WriteOutcome.PreconditionFailed, store.Delete(Key("k"), WriteCondition.IfVersion(replaced.Version)).Outcome);
            Assert.Equal(WriteOutcome.PreconditionFailed, store.Delete(Key("absent"), WriteCondition.IfExists).Outcome);
            WriteResult deleted = store.Delete(Key("k"), WriteCondition.IfVersion(current));
            Assert.Equal(WriteOutcome.Deleted, deleted.Outcome);
            Assert.True(deleted.Version > current);
            Assert.False(store.Contains(Key("k")));
            Assert.Equal(WriteOutcome.Created, store.Put(Key("k"), Key("again"), WriteCondition.IfAbsent).Outcome);
        }

        [Fact]
        public void AConditionSeesAWriteStillWaitingForItsSync()
        {
            // Durability Always, no commit thread: the first create is queued, not yet in the index.
            StoreOptions options = Options();
            options.Schedule = new ManualRounds();
            using KvStore store = KvStore.Open(options);
            var first = new Outcomes();
            var second = new Outcomes();
            store.BeginPut(Key("k"), Key("first"), 0, new Precondition(WriteCondition.IfAbsent), first, 1);
            store.BeginPut(Key("k"), Key("second"), 0, new Precondition(WriteCondition.IfAbsent), second, 2);

            Assert.Equal((WriteOutcome.PreconditionFailed, 0UL), second.Single());
            Assert.Empty(first.All);
            store.RunCommitRound();
            Assert.Equal(WriteOutcome.Created, first.Single().Outcome);
            Assert.Equal(Key("first"), store.Get(Key("k")));
        }

        [Fact]
        public void AConditionSeesTheBatchTheCommitThreadIsApplying()
        {
            // Between the batch's sync and its entry into the index, a create of the same key must fail.
            StoreOptions options = Options();
            var rounds = new ManualRounds();
            options.Schedule = rounds;
            using KvStore store = KvStore.Open(options);
            var first = new Outcomes();
            var racer = new Outcomes();
            rounds.AtPoint = name =>
            {
                if (name == "commit.synced")
                {
                    rounds.AtPoint = null;
                    store.BeginPut(Key("k"), Key("racer"), 0, new Precondition(WriteCondition.IfAbsent), racer, 2);
                }
            };

            store.BeginPut(Key("k"), Key("first"), 0, new Precondition(WriteCondition.IfAbsent), first, 1);
            store.RunCommitRound();
            Assert.Equal(WriteOutcome.Created, first.Single().Outcome);
            Assert.Equal((WriteOutcome.PreconditionFailed, 0UL), racer.Single());
            Assert.Equal(Key("first"), store.Get(Key("k")));
        }

        [Fact]
        public void AnIfMatchListHoldsForAnyOfItsVersions()
        {
            using KvStore store = KvStore.Open(Options());
            ulong version = store.Put(Key("k"), Key("one"), WriteCondition.None).Version;
            var outcomes = new Outcomes();
            store.BeginPut(Key("k"), Key("two"), 0, Precondition.VersionIn(new[] { version + 7, version - 1 }), outcomes, 1);
            store.BeginPut(Key("k"), Key("two"), 0, Precondition.VersionIn(ReadOnlySpan<ulong>.Empty), outcomes, 2);
            store.BeginPut(Key("k"), Key("two"), 0, Precondition.VersionIn(new[] { version + 7, version }), outcomes, 3);
            Assert.Equal(
                new[] { WriteOutcome.PreconditionFailed, WriteOutcome.PreconditionFailed, WriteOutcome.Replaced },
                outcomes.WaitFor(3).Select(o => o.Outcome).ToArray());
        }

        [Fact]
        public void AStreamedValueIsCheckedAtCommitAndDeletedWhenItsConditionFails()
        {
            using KvStore store = KvStore.Open(Options());
            ulong version = store.Put(Key("k"), Key("one"), WriteCondition.None).Version;
            var upload = store.BeginUpload(Key("k"));
            upload.Append(new byte[100_000]);
            store.Put(Key("k"), Key("meanwhile"));
            var outcomes = new Outcomes();
            upload.Complete(new Precondition(WriteCondition.IfVersion(version)), outcomes, 1);

            Assert.Equal((WriteOutcome.PreconditionFailed, 0UL), outcomes.Single());
            Assert.Equal(Key("meanwhile"), store.Get(Key("k")));
            Assert.Empty(Directory.GetFiles(_dir.Path, "*.partial"));

            ulong current = store.Put(Key("k"), Key("two"), WriteCondition.None).Version;
            upload = store.BeginUpload(Key("k"));
            upload.Append(new byte[100_000]);
            var second = new Outcomes();
            upload.Complete(new Precondition(WriteCondition.IfVersion(current)), second, 2);
            (WriteOutcome outcome, ulong newVersion) = second.Single();
            Assert.Equal(WriteOutcome.Replaced, outcome);
            Assert.True(store.TryGetInfo(Key("k"), out ValueInfo info));
            Assert.Equal((100_000L, newVersion), (info.Length, info.Version));
        }

        [Fact]
        public void ConcurrentCompareAndSetIncrementsLoseNoUpdate()
        {
            using KvStore store = KvStore.Open(Options());
            const int Threads = 16, Increments = 50;
            int successes = 0;
            Parallel.For(0, Threads, new ParallelOptions { MaxDegreeOfParallelism = Threads }, _ =>
            {
                Span<byte> buffer = stackalloc byte[32];
                for (int done = 0; done < Increments;)
                {
                    bool exists = store.TryRead(Key("counter"), buffer, out ValueInfo info);
                    long value = exists ? long.Parse(Encoding.ASCII.GetString(buffer.Slice(0, (int)info.Length)), System.Globalization.CultureInfo.InvariantCulture) : 0;
                    WriteCondition condition = exists ? WriteCondition.IfVersion(info.Version) : WriteCondition.IfAbsent;
                    WriteResult result = store.Put(Key("counter"), Encoding.ASCII.GetBytes((value + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)), condition);
                    if (result.Outcome != WriteOutcome.PreconditionFailed)
                    {
                        Interlocked.Increment(ref successes);
                        done++;
                    }
                }
            });

            Assert.Equal(Threads * Increments, successes);
            Assert.Equal(Encoding.ASCII.GetBytes((Threads * Increments).ToString(System.Globalization.CultureInfo.InvariantCulture)), store.Get(Key("counter")));
        }

        private StoreOptions Options() => new StoreOptions { DataDirectory = _dir.Path, AutomaticCompaction = false, SegmentSize = 64 * 1024 };

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);

        /// <summary>No commit thread: the test runs each round, and may act at the store's points.</summary>
        private sealed class ManualRounds : StoreSchedule
        {
            public Action<string>? AtPoint { get; set; }

            public override bool StartsThreads => false;

            public override void Point(string name) => AtPoint?.Invoke(name);
        }

        /// <summary>Collects outcomes as the store reports them.</summary>
        private sealed class Outcomes : IWriteCompletion
        {
            private readonly List<(WriteOutcome Outcome, ulong Version)> _all = new List<(WriteOutcome, ulong)>();

            public IReadOnlyList<(WriteOutcome Outcome, ulong Version)> All
            {
                get
                {
                    lock (_all)
                    {
                        return _all.ToArray();
                    }
                }
            }

            /// <summary>The only outcome, once the commit thread has reported it.</summary>
            public (WriteOutcome Outcome, ulong Version) Single() => Assert.Single(WaitFor(1));

            /// <summary>Waits (at most 10 s) until <paramref name="count"/> outcomes are in.</summary>
            public IReadOnlyList<(WriteOutcome Outcome, ulong Version)> WaitFor(int count)
            {
                lock (_all)
                {
                    DateTime until = DateTime.UtcNow.AddSeconds(10);
                    while (_all.Count < count && DateTime.UtcNow < until)
                    {
                        Monitor.Wait(_all, TimeSpan.FromMilliseconds(100));
                    }

                    return _all.ToArray();
                }
            }

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                lock (_all)
                {
                    _all.Add((outcome, version));
                    Monitor.PulseAll(_all);
                }
            }
        }
    }
}
