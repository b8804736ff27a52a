using System;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Storage;

namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>
    /// EtcdStoreOptions.KeyPrefix: deployments sharing one cluster, each under its own prefix, never see each
    /// other's keys, and clients never see the prefix. Checked against the cluster as it holds the keys.
    /// </summary>
    [Collection(EtcdCollection.Name)]
    public sealed class KeyPrefixTests : IDisposable
    {
        private readonly SharedEtcdCluster _shared;
        private readonly EtcdStore _raw;

        public KeyPrefixTests(SharedEtcdCluster shared)
        {
            _shared = shared;
            _raw = Stores.Connect(shared.Cluster.ClientUrls);
        }

        public void Dispose() => _raw.Dispose();

        [Fact]
        public async Task Every_operation_works_under_the_prefix_and_the_cluster_holds_the_key_after_it()
        {
            string prefix = Encoding.UTF8.GetString(Stores.UniqueKey("ns-a/"));
            using EtcdStore store = Stores.Connect(_shared.Cluster.ClientUrls, keyPrefix: prefix);

            WriteResult created = await store.PutAsync("k"u8.ToArray(), "v"u8.ToArray(), WriteCondition.IfAbsent);
            Assert.Equal(WriteOutcome.Created, created.Outcome);
            Assert.Equal("v"u8.ToArray(), (await store.GetAsync("k"u8.ToArray())).Value!.Value);
            BackendRead held = await _raw.GetAsync(Encoding.UTF8.GetBytes(prefix + "k"));
            Assert.Equal("v"u8.ToArray(), held.Value!.Value);
            Assert.Equal(created.Version, held.Value.Info.Version);
            Assert.Null((await _raw.GetAsync("k"u8.ToArray())).Value);

            Assert.Equal(WriteOutcome.Replaced, (await store.PutAsync("k"u8.ToArray(), "w"u8.ToArray(), WriteCondition.IfVersion(created.Version))).Outcome);
            Task<bool> wait = store.WaitForChangeAsync("k"u8.ToArray(), (await store.GetAsync("k"u8.ToArray())).Revision, TimeSpan.FromSeconds(20));
            await _raw.PutAsync(Encoding.UTF8.GetBytes(prefix + "k"), "x"u8.ToArray(), WriteCondition.None);
            Assert.True(await wait);

            Assert.Equal(WriteOutcome.Deleted, (await store.DeleteAsync("k"u8.ToArray(), WriteCondition.None)).Outcome);
            Assert.Null((await _raw.GetAsync(Encoding.UTF8.GetBytes(prefix + "k"))).Value);
        }

        [Fact]
        public async Task Two_prefixes_on_one_cluster_list_and_read_only_their_own_keys_without_the_prefix()
        {
            // The second prefix lies under the first, the hardest case: the first sees it as its key "other/x3".
            string a = Encoding.UTF8.GetString(Stores.UniqueKey("ns-a/"));
            using EtcdStore first = Stores.Connect(_shared.Cluster.ClientUrls, keyPrefix: a);
            using EtcdStore second = Stores.Connect(_shared.Cluster.ClientUrls, keyPrefix: a + "other/");
            foreach (string key in new[] { "x1", "x2", "y" })
            {
                await first.PutAsync(Encoding.UTF8.GetBytes(key), "1"u8.ToArray(), WriteCondition.None);
            }

            await second.PutAsync("x3"u8.ToArray(), "2"u8.ToArray(), WriteCondition.None);

            Assert.Null((await second.GetAsync("x1"u8.ToArray())).Value);
            EtcdListing x = await first.ListAsync("x"u8.ToArray(), ReadOnlyMemory<byte>.Empty, 100);
            Assert.Equal(new[] { "x1", "x2" }, x.Keys.Select(k => Encoding.UTF8.GetString(k.Key)));
            EtcdListing paged = await first.ListAsync(ReadOnlyMemory<byte>.Empty, "x1"u8.ToArray(), 1);
            Assert.Equal("x2", Encoding.UTF8.GetString(Assert.Single(paged.Keys).Key));
            Assert.True(paged.More);
            EtcdListing theirs = await second.ListAsync(ReadOnlyMemory<byte>.Empty, ReadOnlyMemory<byte>.Empty, 100);
            Assert.Equal("x3", Encoding.UTF8.GetString(Assert.Single(theirs.Keys).Key));
            Assert.False(theirs.More);
        }

        [Fact]
        public void The_prefix_counts_against_the_largest_value()
        {
            var plain = new EtcdStoreOptions();
            var prefixed = new EtcdStoreOptions { KeyPrefix = "app/é/" }; // 7 bytes in UTF-8
            Assert.Equal(plain.MaxValueLength(10) - 14, prefixed.MaxValueLength(10));
        }
    }
}
