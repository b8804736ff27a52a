using System;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>Put, get, delete and overwrite through a real store on a real directory, across reopen.</summary>
    public sealed class StoreRoundTripTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData("always")]
        [InlineData("batched:50ms")]
        [InlineData("none")]
        public void PutGetDeleteOverwriteInEveryMode(string durability)
        {
            using KvStore store = Open(durability);
            Assert.Equal(WriteOutcome.Created, store.Put(Key("a"), Encoding.UTF8.GetBytes("one")));
            Assert.Equal(WriteOutcome.Replaced, store.Put(Key("a"), Encoding.UTF8.GetBytes("two")));
            Assert.Equal("two", Encoding.UTF8.GetString(store.Get(Key("a"))!));
            Assert.Equal(1, store.Count);

            Assert.Equal(WriteOutcome.Deleted, store.Delete(Key("a")));
            Assert.Null(store.Get(Key("a")));
            Assert.Equal(WriteOutcome.NotFound, store.Delete(Key("a")));
            Assert.Equal(0, store.Count);
        }

        [Fact]
        public void EmptyValueAndEmptyKeyAreValues()
        {
            using KvStore store = Open("always");
            store.Put(Key("empty"), ReadOnlySpan<byte>.Empty);
            store.Put(ReadOnlySpan<byte>.Empty, Key("value of the empty key"));
            Assert.Empty(store.Get(Key("empty"))!);
            Assert.Equal(Key("value of the empty key"), store.Get(ReadOnlySpan<byte>.Empty));
        }

        [Fact]
        public void EverythingSurvivesReopen()
        {
            byte[] big = RandomBytes(3 << 20, seed: 1);
            using (KvStore store = Open("always"))
            {
                for (int i = 0; i < 1000; i++)
                {
                    store.Put(Key("k" + i), Key("v" + i));
                }

                store.Put(Key("big"), big);
                store.Delete(Key("k7"));
                store.Put(Key("k8"), Key("again"));
            }

            using (KvStore store = Open("always"))
            {
                Assert.Equal(1000, store.Count);
                Assert.Equal(Key("v1"), store.Get(Key("k1")));
                Assert.Null(store.Get(Key("k7")));
                Assert.Equal(Key("again"), store.Get(Key("k8")));
                Assert.Equal(big, store.Get(Key("big")));
                Assert.Equal(0, store.Recovery.TornBytesDropped);
            }
        }

        [Fact]
        public void SixtyFourMebibyteValueRoundTrips()
        {
            byte[] value = RandomBytes(64 << 20, seed: 2);
            using (KvStore store = Open("always"))
            {
                store.Put(Key("huge"), value);
                Assert.True(store.TryGet(Key("huge"), out StoredValue stored));
                Assert.Equal(value.Length, stored.Length);
                stored.Release();
            }

            using (KvStore store = Open("always"))
            {
                Assert.Equal(SHA256.HashData(value), SHA256.HashData(store.Get(Key("huge"))!));
            }
        }

        [Fact]
        public void KeysAndValuesAreOpaqueBytes()
        {
            byte[] everyByte = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
            using (KvStore store = Open("always"))
            {
                store.Put(everyByte, everyByte.Reverse().ToArray());
                store.Put(new byte[1024], everyByte);
            }

            using (KvStore store = Open("always"))
            {
                Assert.Equal(everyByte.Reverse().ToArray(), store.Get(everyByte));
                Assert.Equal(everyByte, store.Get(new byte[1024]));
                Assert.Throws<ArgumentException>(() => store.Put(new byte[1025], everyByte));
            }
        }

        private KvStore Open(string durability)
        {
            Assert.True(Durability.TryParse(durability, out Durability parsed));
            return KvStore.Open(new StoreOptions { DataDirectory = _dir.Path, Durability = parsed });
        }

        internal static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);

        internal static byte[] RandomBytes(int length, int seed)
        {
            byte[] bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }
    }
}
