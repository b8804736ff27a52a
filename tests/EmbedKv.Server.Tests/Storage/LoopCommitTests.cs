using System;
using System.Text;
using System.Threading;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// Durable writes queued by an event loop (docs/storage.md, "Group commit"): they wake no commit thread as
    /// they queue; the loop commits them on its own thread when it has nothing else to do, or hands them to the
    /// commit thread. These tests drive those paths with the store's real threads and check that no write is
    /// left waiting: the loop's turn while another round is under way, the hand-over, a waiter's wake-up that
    /// carries the loop's writes, and streamed values, which always go to the commit thread.
    /// </summary>
    public sealed class LoopCommitTests : IDisposable
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void ALoopsWriteWaitsForTheLoopAndCommitsOnItsThread()
        {
            using KvStore store = KvStore.Open(Options());
            var loop = new LoopCompletion();
            store.BeginPut(Key("a"), Value("a"), loop, 1);

            // No thread was woken for it: it stays queued until the loop's turn.
            Assert.False(loop.Done.Wait(TimeSpan.FromMilliseconds(300)));
            Assert.Equal(0, store.SyncBatches);
            Assert.True(store.HasWritesToCommitHere);

            Assert.True(store.TryCommitQueuedWrites());
            Assert.True(loop.Done.IsSet);
            Assert.Equal(Environment.CurrentManagedThreadId, loop.ThreadId);
            Assert.Equal(WriteOutcome.Created, loop.Outcome);
            Assert.Equal(1, store.SyncBatches);
            Assert.False(store.HasWritesToCommitHere);
            Assert.Equal(Value("a"), store.Get(Key("a")));
        }

        [Fact]
        public void HandedOverWritesAreCommittedByTheCommitThread()
        {
            using KvStore store = KvStore.Open(Options());
            var loop = new LoopCompletion();
            store.BeginPut(Key("a"), Value("a"), loop, 1);
            store.HandOverQueuedWrites();

            Assert.True(loop.Done.Wait(Patience), "the handed-over write was never committed");
            Assert.NotEqual(Environment.CurrentManagedThreadId, loop.ThreadId);
            Assert.Equal(WriteOutcome.Created, loop.Outcome);

            // Then the commit thread sleeps again: a wake-up that outlived its batch would spin it round and round.
            long rounds = store.CommitRounds;
            Thread.Sleep(300);
            Assert.InRange(store.CommitRounds - rounds, 0, 1);
        }

        [Fact]
        public void AnotherWritersWakeUpCarriesTheLoopsWrites()
        {
            using KvStore store = KvStore.Open(Options());
            var loop = new LoopCompletion();
            store.BeginPut(Key("loop"), Value("loop"), loop, 1);

            // A thread that waits for its own write wakes the commit thread, which takes the whole queue.
            Assert.Equal(WriteOutcome.Created, store.Put(Key("waiter"), Value("waiter")));
            Assert.True(loop.Done.Wait(Patience), "the loop's write was left behind");
            Assert.Equal(Value("loop"), store.Get(Key("loop")));
        }

        [Fact]
        public void WhileARoundIsUnderWayTheLoopHandsOverAndNothingIsLeftWaiting()
        {
            var schedule = new HoldAfterSync();
            using KvStore store = KvStore.Open(Options(schedule));

            // A waiter's write starts a round on the commit thread, which is held after its sync.
            var waiter = new Thread(() => store.Put(Key("waiter"), Value("waiter"))) { IsBackground = true };
            schedule.Armed = true;
            waiter.Start();
            Assert.True(schedule.Holding.Wait(Patience), "the commit thread never reached its sync");

            // The loop queues a write and finds the round under way: it may not commit, so it hands over.
            var loop = new LoopCompletion();
            store.BeginPut(Key("loop"), Value("loop"), loop, 1);
            Assert.False(store.TryCommitQueuedWrites());
            store.HandOverQueuedWrites();

            schedule.Release.Set();
            Assert.True(waiter.Join(Patience));
            Assert.True(loop.Done.Wait(Patience), "the loop's write waited for ever after the round it could not join");
            Assert.NotEqual(Environment.CurrentManagedThreadId, loop.ThreadId);
            Assert.Equal(2, store.SyncBatches);
        }

        [Fact]
        public void ARoundsOwnCallbacksCannotStartASecondRound()
        {
            var hook = new PointHook();
            using KvStore store = KvStore.Open(Options(hook));
            hook.Store = store;
            var loop = new LoopCompletion();
            store.BeginPut(Key("a"), Value("a"), loop, 1);
            bool? nested = null;
            hook.AtPoint = name =>
            {
                if (name == "commit.synced" && nested is null)
                {
                    store.BeginPut(Key("b"), Value("b"), new LoopCompletion(), 2);
                    nested = store.TryCommitQueuedWrites();
                }
            };

            Assert.True(store.TryCommitQueuedWrites());
            Assert.False(nested);
            Assert.True(loop.Done.IsSet);
            Assert.True(store.HasWritesToCommitHere); // b waits for the next round
            Assert.True(store.TryCommitQueuedWrites());
            Assert.Equal(Value("b"), store.Get(Key("b")));
        }

        [Fact]
        public void StreamedValuesGoToTheCommitThreadEvenFromALoop()
        {
            // No threads: the queue's state after each step is exact.
            var hook = new PointHook();
            using KvStore store = KvStore.Open(Options(hook));
            hook.Store = store;
            var small = new LoopCompletion();
            store.BeginPut(Key("small"), Value("small"), small, 1);
            Assert.True(store.HasWritesToCommitHere);

            // A streamed value's file sync can take long: even from a loop it wakes the commit thread, which then
            // takes the whole queue, so no loop may take it.
            var big = new LoopCompletion();
            var upload = store.BeginUpload(Key("big"));
            upload.Append(new byte[256 * 1024]);
            upload.Complete(big, 7);
            Assert.False(store.HasWritesToCommitHere);
            Assert.False(store.TryCommitQueuedWrites());
            Assert.False(small.Done.IsSet);

            store.RunCommitRound(); // what the woken commit thread does
            Assert.Equal(WriteOutcome.Created, small.Outcome);
            Assert.Equal(WriteOutcome.Created, big.Outcome);
            Assert.Equal(256 * 1024, store.Get(Key("big"))!.Length);
        }

        [Fact]
        public void ABatchTheCommitThreadWasWokenForIsLeftToIt()
        {
            var hook = new PointHook();
            using KvStore store = KvStore.Open(Options(hook));
            hook.Store = store;
            var loop = new LoopCompletion();
            store.BeginPut(Key("loop"), Value("loop"), loop, 1);

            // A writer that is no loop wakes the commit thread: the queue is its now, or it would run an empty round.
            var other = new Other();
            store.BeginPut(Key("other"), Value("other"), other, 2);
            Assert.False(store.HasWritesToCommitHere);
            Assert.False(store.TryCommitQueuedWrites());
            Assert.Equal(0, store.CommitRounds);

            store.RunCommitRound();
            Assert.True(loop.Done.IsSet);
            Assert.Equal(WriteOutcome.Created, other.Outcome);
            Assert.Equal(1, store.CommitRounds);
        }

        [Fact]
        public void ManyLoopsAndWaitersTogetherLoseNothing()
        {
            // Four "loops" that commit or hand over as the event loop does, beside four waiting writers, all at
            // once; every write completes, and every acknowledged value is there after a reopen.
            const int Loops = 4;
            const int Waiters = 4;
            const int WritesEach = 300;
            using (KvStore store = KvStore.Open(Options()))
            {
                var threads = new Thread[Loops + Waiters];
                Exception? failure = null;
                for (int t = 0; t < threads.Length; t++)
                {
                    int id = t;
                    threads[t] = new Thread(() =>
                    {
                        try
                        {
                            if (id < Loops)
                            {
                                RunLoop(store, id, WritesEach);
                            }
                            else
                            {
                                for (int i = 0; i < WritesEach; i++)
                                {
                                    Assert.Equal(WriteOutcome.Created, store.Put(Key(id + "/" + i), Value(id + "/" + i)));
                                }
                            }
                        }
                        catch (Exception e)
                        {
                            Interlocked.CompareExchange(ref failure, e, null);
                        }
                    })
                    { IsBackground = true };
                }

                foreach (Thread thread in threads)
                {
                    thread.Start();
                }

                foreach (Thread thread in threads)
                {
                    Assert.True(thread.Join(TimeSpan.FromSeconds(60)), "a writer never finished");
                }

                Assert.Null(failure);
            }

            using KvStore reopened = KvStore.Open(Options());
            for (int t = 0; t < Loops + Waiters; t++)
            {
                for (int i = 0; i < WritesEach; i++)
                {
                    Assert.Equal(Value(t + "/" + i), reopened.Get(Key(t + "/" + i)));
                }
            }
        }

        /// <summary>A loop's turns: a few writes, then commit here when it can, else hand over; waits for its answers.</summary>
        private static void RunLoop(KvStore store, int id, int writes)
        {
            var random = new Random(id);
            int written = 0;
            while (written < writes)
            {
                var turn = new LoopCompletion[Math.Min(writes - written, random.Next(1, 8))];
                for (int i = 0; i < turn.Length; i++)
                {
                    turn[i] = new LoopCompletion();
                    store.BeginPut(Key(id + "/" + (written + i)), Value(id + "/" + (written + i)), turn[i], (ulong)i);
                }

                if (random.Next(2) == 0 || !store.TryCommitQueuedWrites())
                {
                    store.HandOverQueuedWrites();
                }

                foreach (LoopCompletion completion in turn)
                {
                    Assert.True(completion.Done.Wait(Patience), "a loop's write was left waiting");
                    Assert.Equal(WriteOutcome.Created, completion.Outcome);
                }

                written += turn.Length;
            }
        }

        private StoreOptions Options(StoreSchedule? schedule = null)
            => new StoreOptions
            {
                DataDirectory = _dir.Path,
                Durability = Durability.Always,
                AutomaticCompaction = false,
                Schedule = schedule ?? StoreSchedule.Threads,
            };

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes("k/" + text);

        private static byte[] Value(string text) => Encoding.UTF8.GetBytes("value of " + text);

        /// <summary>Hears a write as an event loop would: it commits before it sleeps, so its writes wake nobody.</summary>
        private sealed class LoopCompletion : IWriteCompletion
        {
            public ManualResetEventSlim Done { get; } = new ManualResetEventSlim();

            public WriteOutcome Outcome { get; private set; }

            public int ThreadId { get; private set; }

            public bool CommitsBeforeSleep => true;

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                Outcome = outcome;
                ThreadId = Environment.CurrentManagedThreadId;
                Done.Set();
            }
        }

        /// <summary>Hears a write as any other caller would: it wakes the commit thread.</summary>
        private sealed class Other : IWriteCompletion
        {
            public WriteOutcome Outcome { get; private set; }

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version) => Outcome = outcome;
        }

        /// <summary>Real threads; the commit thread stops after its sync, once armed, until released.</summary>
        private sealed class HoldAfterSync : StoreSchedule
        {
            public volatile bool Armed;

            public ManualResetEventSlim Holding { get; } = new ManualResetEventSlim();

            public ManualResetEventSlim Release { get; } = new ManualResetEventSlim();

            public override void Point(string name)
            {
                if (name == "commit.synced" && Armed)
                {
                    Armed = false;
                    Holding.Set();
                    Release.Wait();
                }
            }
        }
    }
}
