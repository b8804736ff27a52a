using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using EmbedKv.Server.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>Group commit (docs/storage.md): concurrent writers share fdatasyncs; completions arrive exactly once.</summary>
    public sealed class GroupCommitTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public GroupCommitTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void ConcurrentWritersShareSyncs()
        {
            const int Threads = 64;
            const int PutsEach = 50;
            using KvStore store = KvStore.Open(Options(Durability.Always));
            using var start = new Barrier(Threads);
            var failures = new List<Exception>();
            var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
            {
                start.SignalAndWait();
                try
                {
                    for (int i = 0; i < PutsEach; i++)
                    {
                        Assert.Equal(WriteOutcome.Created, store.Put(Key("t" + t + "/" + i), Value(t, i)));
                    }
                }
                catch (Exception e)
                {
                    lock (failures)
                    {
                        failures.Add(e);
                    }
                }
            })).ToList();

            var clock = Stopwatch.StartNew();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            clock.Stop();
            Assert.Empty(failures);

            long batches = store.SyncBatches;
            long writes = store.SyncedWrites;
            _output.WriteLine(writes + " writes in " + batches + " syncs: " + ((double)writes / batches).ToString("F1", System.Globalization.CultureInfo.InvariantCulture)
                + " writes per sync, " + clock.ElapsedMilliseconds + " ms");
            Assert.Equal(Threads * PutsEach, writes);
            Assert.True(batches <= Threads * PutsEach / 4, batches + " syncs for " + writes + " writes");
            Assert.Equal(Threads * PutsEach, store.Count);
            for (int t = 0; t < Threads; t++)
            {
                Assert.Equal(Value(t, PutsEach - 1), store.Get(Key("t" + t + "/" + (PutsEach - 1))));
            }
        }

        [Theory]
        [InlineData("always")]
        [InlineData("batched:20ms")]
        [InlineData("none")]
        public void EveryBeginGetsExactlyOneCompletionWithItsOutcomeAndToken(string durability)
        {
            Assert.True(Durability.TryParse(durability, out Durability mode));
            bool always = mode.Mode == DurabilityMode.Always;
            using KvStore store = KvStore.Open(Options(mode));
            var completions = new Completions(store);

            // Each step waits for its completion before the next touches the same key: a delete checks
            // whether the key exists when it begins, and a put is visible only once it has completed.
            ulong token = 1000;
            void Expect(Action begin, WriteOutcome outcome, bool present)
            {
                ulong expected = token;
                begin();
                Completion done = completions.WaitFor(expected);
                Assert.Equal(outcome, done.Outcome);
                Assert.Equal(present, done.VisibleAtCompletion);
                if (always && outcome != WriteOutcome.NotFound)
                {
                    // Under Always the commit thread completes it, once the write is durable.
                    Assert.NotEqual(Environment.CurrentManagedThreadId, done.ThreadId);
                }
                else
                {
                    // Batched and None complete it at once, on the caller's thread, as does a delete of
                    // a key that does not exist (nothing is written).
                    Assert.Equal(Environment.CurrentManagedThreadId, done.ThreadId);
                    Assert.True(done.BeforeReturn, "completed after Begin returned");
                }

                completions.Key = null;
                token += 7;
            }

            void Put(string key, byte[] value, WriteOutcome outcome) => Expect(() =>
            {
                completions.Key = Key(key);
                completions.Returned = false;
                store.BeginPut(Key(key), value, completions, token);
                completions.Returned = true;
            }, outcome, present: true);

            void Delete(string key, WriteOutcome outcome) => Expect(() =>
            {
                completions.Key = Key(key);
                completions.Returned = false;
                store.BeginDelete(Key(key), completions, token);
                completions.Returned = true;
            }, outcome, present: false);

            Put("a", Value(1, 1), WriteOutcome.Created);
            Put("a", Value(1, 2), WriteOutcome.Replaced);
            Put("b", Value(1, 3), WriteOutcome.Created);
            Delete("a", WriteOutcome.Deleted);
            Delete("a", WriteOutcome.NotFound);
            Delete("never", WriteOutcome.NotFound);
            Put("a", Value(1, 4), WriteOutcome.Created);
            Assert.Equal(Value(1, 4), store.Get(Key("a")));
            Assert.Equal(Value(1, 3), store.Get(Key("b")));

            // Many in flight at once, each with its own token, none completed twice.
            const int Many = 200;
            ulong first = token;
            for (int i = 0; i < Many; i++)
            {
                store.BeginPut(Key("many" + i), Value(2, i), completions, token++);
            }

            for (ulong t = first; t < token; t++)
            {
                Assert.Equal(WriteOutcome.Created, completions.WaitFor(t).Outcome);
            }

            store.Dispose(); // drains the commit thread: nothing may complete after this
            Assert.Equal(7 + Many, completions.Count);
            Assert.Equal(completions.Count, completions.Tokens().Distinct().Count());
        }

        private StoreOptions Options(Durability durability)
            => new StoreOptions { DataDirectory = _dir.Path, Durability = durability, SegmentSize = 4 << 20, AutomaticCompaction = false };

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);

        private static byte[] Value(int a, int b) => Encoding.UTF8.GetBytes("value " + a + "/" + b + new string('x', (a * 31 + b) % 200));

        private readonly record struct Completion(WriteOutcome Outcome, int ThreadId, bool VisibleAtCompletion, bool BeforeReturn);

        /// <summary>Records each completion by token, and what a reader saw of the key at that moment.</summary>
        private sealed class Completions : IWriteCompletion
        {
            private readonly KvStore _store;
            private readonly List<(ulong Token, Completion Completion)> _all = new();

            public Completions(KvStore store) => _store = store;

            /// <summary>The key of the single write in flight, whose visibility the completion checks.</summary>
            public volatile byte[]? Key;

            public volatile bool Returned;

            public int Count
            {
                get
                {
                    lock (_all)
                    {
                        return _all.Count;
                    }
                }
            }

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                byte[]? key = Key;
                bool visible = false;
                if (key is not null && _store.TryGet(key, out StoredValue value))
                {
                    visible = true;
                    value.Release();
                }

                var completion = new Completion(outcome, Environment.CurrentManagedThreadId, visible, !Returned);
                lock (_all)
                {
                    _all.Add((token, completion));
                    Monitor.PulseAll(_all);
                }
            }

            public Completion WaitFor(ulong token)
            {
                var clock = Stopwatch.StartNew();
                lock (_all)
                {
                    while (true)
                    {
                        List<Completion> found = _all.Where(c => c.Token == token).Select(c => c.Completion).ToList();
                        if (found.Count > 0)
                        {
                            Assert.Single(found);
                            return found[0];
                        }

                        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "no completion for token " + token);
                        Monitor.Wait(_all, TimeSpan.FromMilliseconds(100));
                    }
                }
            }

            public List<ulong> Tokens()
            {
                lock (_all)
                {
                    return _all.Select(c => c.Token).ToList();
                }
            }
        }
    }
}
