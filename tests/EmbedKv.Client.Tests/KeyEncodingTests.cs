using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;

namespace EmbedKv.Client.Tests
{
    /// <summary>Keys are bytes: every byte value reaches the server as that byte, and comes back the same from a listing.</summary>
    public sealed class KeyEncodingTests : IDisposable
    {
        private readonly ServerFixture _server = new ServerFixture();

        public void Dispose() => _server.Dispose();

        public static IEnumerable<byte[]> Keys()
        {
            for (int b = 0; b < 256; b++)
            {
                yield return new[] { (byte)b };
                yield return new[] { (byte)'k', (byte)b, (byte)'/', (byte)b };
            }

            yield return Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();

            // What a URI library would rewrite if the client let it: dot segments, escapes, slashes.
            foreach (string text in new[] { ".", "..", "a/../b", "a/./b", "/", "//", "%2F", "%", "a?b#c", "a+b c", "é" })
            {
                yield return System.Text.Encoding.UTF8.GetBytes(text);
            }
        }

        [Fact]
        public async Task EveryByteValueRoundTripsThroughWritesReadsAndTheListing()
        {
            EmbedKvClient client = _server.Client();
            var keys = Keys().Select(k => new KvKey(k)).Distinct().ToList();
            foreach (KvKey key in keys)
            {
                Assert.Equal(KvWriteStatus.Created, (await client.PutAsync(key, key.Bytes.ToArray())).Status);
            }

            foreach (KvKey key in keys)
            {
                KvEntry? read = await client.GetAsync(key);
                Assert.True(read is not null, "not found: " + key.ToPath());
                Assert.Equal(key.Bytes.ToArray(), read.Value);
            }

            var listed = new List<KvKey>();
            await foreach (KvListedKey item in client.ListAsync())
            {
                listed.Add(item.Key);
            }

            // Unsigned byte order, each key exactly once.
            List<KvKey> expected = keys.OrderBy(k => k.Bytes.ToArray(), ByteOrder.Instance).ToList();
            Assert.Equal(expected.Select(k => k.ToPath()), listed.Select(k => k.ToPath()));

            foreach (KvKey key in keys)
            {
                Assert.Equal(KvWriteStatus.Deleted, (await client.DeleteAsync(key)).Status);
            }
        }

        [Fact]
        public void APathEncodesEverythingButTheUnreservedSet()
        {
            Assert.Equal("/a%2Fb%20%C3%A9-._~", ((KvKey)"a/b é-._~").ToPath());
            Assert.Equal("/Az09-._~", ((KvKey)"Az09-._~").ToPath());
            Assert.Equal("/%00%FF%25", new KvKey(new byte[] { 0, 255, (byte)'%' }).ToPath());
        }

        private sealed class ByteOrder : IComparer<byte[]>
        {
            public static readonly ByteOrder Instance = new ByteOrder();

            public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
        }
    }
}
