using System;
using System.Collections.Generic;
using System.Threading;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.FaultInjection
{
    /// <summary>Simulated power cuts (see <see cref="FaultInjectingDirectory"/>) while the store works.</summary>
    public sealed class CrashRecoveryTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData(1)]
        [InlineData(2)]
        [InlineData(3)]
        [InlineData(4)]
        [InlineData(5)]
        public void AcknowledgedWritesSurviveACrashMidWrite(int seed)
        {
            var directory = new FaultInjectingDirectory(_dir.Path);
            KvStore store = KvStore.Open(Options(Durability.Always), directory);
            var writers = new Writer[8];
            for (int i = 0; i < writers.Length; i++)
            {
                writers[i] = new Writer(store, i, seed);
                writers[i].Start();
            }

            Thread.Sleep(300 + (seed * 37 % 200));
            directory.Crash(new Random(seed));
            foreach (Writer writer in writers)
            {
                writer.Join();
            }

            DisposeDead(store);
            using KvStore reopened = KvStore.Open(Options(Durability.Always), new FaultInjectingDirectory(_dir.Path));
            int acknowledged = 0;
            foreach (Writer writer in writers)
            {
                acknowledged += writer.Verify(reopened);
            }

            Assert.True(acknowledged > 0, "no write was acknowledged before the crash");
        }

        [Fact]
        public void UnsyncedBatchedWritesMayVanishButTheStoreOpens()
        {
            var directory = new FaultInjectingDirectory(_dir.Path);
            KvStore store = KvStore.Open(Options(Durability.Batched(TimeSpan.FromHours(1))), directory);
            for (int i = 0; i < 500; i++)
            {
                store.Put(Bytes("k" + i), new byte[100]);
            }

            directory.Crash(new Random(9));
            DisposeDead(store);
            using KvStore reopened = KvStore.Open(Options(Durability.Always), new FaultInjectingDirectory(_dir.Path));
            Assert.InRange(reopened.Count, 0, 500);
            reopened.Put(Bytes("after"), Bytes("crash"));
            Assert.Equal(Bytes("crash"), reopened.Get(Bytes("after")));
        }

        [Fact]
        public void SegmentsCreatedAfterTheLastDirectorySyncDisappear()
        {
            var directory = new FaultInjectingDirectory(_dir.Path);
            StoreOptions options = Options(Durability.None);
            options.SegmentSize = 4096;
            KvStore store = KvStore.Open(options, directory);
            for (int i = 0; i < 200; i++)
            {
                store.Put(Bytes("k" + i), new byte[300]); // a new segment every dozen records
            }

            directory.Crash();
            DisposeDead(store);
            using KvStore reopened = KvStore.Open(options, new FaultInjectingDirectory(_dir.Path));
            Assert.Equal(0, reopened.Count);
        }

        [Fact]
        public void AWriteAfterRecoveryIsNotLostAtTheNextCrash()
        {
            // The first crash tears the tail; recovery must cut it off before appending, or the next
            // recovery would stop at the torn bytes and drop the acknowledged write made after them.
            var directory = new FaultInjectingDirectory(_dir.Path);
            KvStore store = KvStore.Open(Options(Durability.None), directory);
            for (int i = 0; i < 50; i++)
            {
                store.Put(Bytes("k" + i), new byte[1000]);
            }

            directory.Crash(new Random(3));
            DisposeDead(store);

            directory = new FaultInjectingDirectory(_dir.Path);
            store = KvStore.Open(Options(Durability.Always), directory);
            store.Put(Bytes("acknowledged"), Bytes("after the first crash"));
            directory.Crash(new Random(4));
            DisposeDead(store);

            using KvStore reopened = KvStore.Open(Options(Durability.Always), new FaultInjectingDirectory(_dir.Path));
            Assert.Equal(Bytes("after the first crash"), reopened.Get(Bytes("acknowledged")));
        }

        internal static void DisposeDead(KvStore store)
        {
            try
            {
                store.Dispose();
            }
            catch (Exception)
            {
                // A crashed store's last syncs fail by design.
            }
        }

        private StoreOptions Options(Durability durability)
            => new StoreOptions { DataDirectory = _dir.Path, Durability = durability, SegmentSize = 64 * 1024, AutomaticCompaction = false };

        private static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

        /// <summary>Writes its own keys one at a time, remembering what was acknowledged and what was in flight.</summary>
        private sealed class Writer
        {
            private readonly KvStore _store;
            private readonly int _id;
            private readonly Random _random;
            private readonly Thread _thread;
            private readonly Dictionary<int, int> _acknowledged = new Dictionary<int, int>(); // key -> version, -1 deleted
            private (int Key, int Version)? _inFlight;

            public Writer(KvStore store, int id, int seed)
            {
                _store = store;
                _id = id;
                _random = new Random((seed * 100) + id);
                _thread = new Thread(Run) { IsBackground = true };
            }

            public void Start() => _thread.Start();

            public void Join() => _thread.Join();

            /// <summary>Checks every key against the model; returns how many acknowledged writes were checked.</summary>
            public int Verify(KvStore store)
            {
                foreach ((int key, int version) in _acknowledged)
                {
                    byte[]? actual = store.Get(KeyOf(key));
                    int? allowed = _inFlight is { } flight && flight.Key == key ? flight.Version : null;
                    if (Matches(actual, key, version) || (allowed is { } other && Matches(actual, key, other)))
                    {
                        continue;
                    }

                    Assert.Fail("writer " + _id + " key " + key + ": acknowledged version " + version + " (in flight: " + allowed + ") but found "
                        + (actual is null ? "nothing" : actual.Length + " bytes"));
                }

                return _acknowledged.Count;
            }

            private void Run()
            {
                for (int version = 1; ; version++)
                {
                    int key = _random.Next(40);
                    bool delete = _random.Next(5) == 0;
                    _inFlight = (key, delete ? -1 : version);
                    try
                    {
                        if (delete)
                        {
                            _store.Delete(KeyOf(key));
                        }
                        else
                        {
                            _store.Put(KeyOf(key), ValueOf(key, version));
                        }
                    }
                    catch (Exception)
                    {
                        return; // the crash: what was in flight may or may not have landed
                    }

                    _acknowledged[key] = delete ? -1 : version;
                    _inFlight = null;
                }
            }

            private bool Matches(byte[]? actual, int key, int version)
                => version == -1 ? actual is null : actual is not null && actual.AsSpan().SequenceEqual(ValueOf(key, version));

            private byte[] KeyOf(int key) => Bytes("w" + _id + "/k" + key);

            private byte[] ValueOf(int key, int version)
            {
                var value = new byte[(key * 131 + version * 17) % 3000];
                new Random(key * 7919 + version).NextBytes(value);
                return value;
            }
        }
    }
}
