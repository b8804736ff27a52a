using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading.Tasks;
using EmbedKv.Server.Storage;

namespace EmbedKv.Client.Tests
{
    /// <summary>Listing follows the server's cursor page after page: every key once, in order.</summary>
    public sealed class ListTests : IDisposable
    {
        // Durability None: ten thousand writes are the setup here, not what is tested.
        private readonly ServerFixture _server = new ServerFixture(o => o.Durability = Durability.None);

        public void Dispose() => _server.Dispose();

        [Fact]
        public async Task TenThousandKeysArriveOnceEachInOrderOverManyPages()
        {
            EmbedKvClient writer = _server.Client();
            var keys = Enumerable.Range(0, 10_000).Select(i => "item/" + i.ToString("D5", CultureInfo.InvariantCulture)).ToList();
            await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (key, token) =>
                Assert.True((await writer.PutAsync(key, key, cancellation: token)).Succeeded));
            await writer.PutAsync("other", "not under the prefix");

            EmbedKvClient client = _server.Client(o => o.ListPageSize = 137);
            var listed = new List<KvListedKey>();
            await foreach (KvListedKey key in client.ListAsync("item/"))
            {
                listed.Add(key);
            }

            Assert.Equal(keys, listed.Select(k => k.Key.ToString()));
            Assert.All(listed, k => Assert.Equal(k.Key.ToString().Length, k.Size));
            KvEntry sample = (await client.GetAsync(keys[4321]))!;
            Assert.Equal(sample.Version, listed[4321].Version);

            int all = 0;
            await foreach (KvListedKey key in _server.Client().ListAsync())
            {
                all++;
            }

            Assert.Equal(10_001, all);
        }

        [Fact]
        public async Task AnEmptyPrefixListsNothingAndCancellationStopsTheListing()
        {
            EmbedKvClient client = _server.Client(o => o.ListPageSize = 2);
            await foreach (KvListedKey key in client.ListAsync("nothing-here/"))
            {
                Assert.Fail("listed " + key.Key);
            }

            for (int i = 0; i < 5; i++)
            {
                await client.PutAsync("c" + i, "v");
            }

            using var stop = new System.Threading.CancellationTokenSource();
            int seen = 0;
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (KvListedKey key in client.ListAsync("c", stop.Token))
                {
                    if (++seen == 3)
                    {
                        stop.Cancel();
                    }
                }
            });
            Assert.Equal(3, seen);
        }
    }
}
