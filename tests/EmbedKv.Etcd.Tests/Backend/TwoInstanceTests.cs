using System;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Storage;

namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>Two stores on one cluster, as two EmbedKv processes would be: each sees the other's writes at once.</summary>
    [Collection(EtcdCollection.Name)]
    public sealed class TwoInstanceTests : IDisposable
    {
        private readonly EtcdStore _a;
        private readonly EtcdStore _b;

        public TwoInstanceTests(SharedEtcdCluster shared)
        {
            // Each instance is given the members in another order, as two hosts' configurations might.
            _a = Stores.Connect(shared.Cluster.ClientUrls);
            _b = Stores.Connect(shared.Cluster.ClientUrls.Reverse().ToArray());
        }

        public void Dispose()
        {
            _a.Dispose();
            _b.Dispose();
        }

        [Fact]
        public async Task A_write_through_one_is_read_through_the_other_at_once()
        {
            for (int i = 0; i < 50; i++)
            {
                byte[] key = Stores.UniqueKey("ryw");
                EtcdStore writer = i % 2 == 0 ? _a : _b;
                EtcdStore reader = i % 2 == 0 ? _b : _a;
                WriteResult put = await writer.PutAsync(key, BitConverter.GetBytes(i), WriteCondition.None);
                BackendValue? read = (await reader.GetAsync(key)).Value;
                Assert.True(read is not null, "write " + i + " was not visible through the other instance");
                Assert.Equal(put.Version, read!.Info.Version);
            }
        }

        [Fact]
        public async Task No_update_is_lost_when_64_clients_of_two_instances_increment_with_if_match()
        {
            const int Clients = 64;
            const int Increments = 5;
            byte[] key = Stores.UniqueKey("counter");
            await _a.PutAsync(key, "0"u8.ToArray(), WriteCondition.None);

            int conflicts = 0;
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(client => Task.Run(async () =>
            {
                EtcdStore store = client % 2 == 0 ? _a : _b;
                for (int done = 0; done < Increments;)
                {
                    BackendValue current = (await store.GetAsync(key)).Value!;
                    int next = int.Parse(Encoding.ASCII.GetString(current.Value)) + 1;
                    WriteResult result = await store.PutAsync(key, Encoding.ASCII.GetBytes(next.ToString()), WriteCondition.IfVersion(current.Info.Version));
                    if (result.Outcome == WriteOutcome.Replaced)
                    {
                        done++;
                    }
                    else
                    {
                        Assert.Equal(WriteOutcome.PreconditionFailed, result.Outcome);
                        System.Threading.Interlocked.Increment(ref conflicts);
                    }
                }
            })));

            Assert.Equal((Clients * Increments).ToString(), Encoding.ASCII.GetString((await _b.GetAsync(key)).Value!.Value));
            Assert.True(conflicts > 0, "the clients never raced, so the test proved nothing");
        }
    }
}
