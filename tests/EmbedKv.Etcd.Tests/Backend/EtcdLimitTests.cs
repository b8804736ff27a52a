using System;
using System.Diagnostics;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Server.Storage;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>docs/etcd.md, "Limits": what the store refuses itself, and that it never hangs on a cluster out of reach.</summary>
    [Collection(EtcdCollection.Name)]
    public sealed class EtcdLimitTests : IDisposable
    {
        private readonly EtcdStore _store;

        public EtcdLimitTests(SharedEtcdCluster shared) => _store = Stores.Connect(shared.Cluster.ClientUrls);

        public void Dispose() => _store.Dispose();

        [Fact]
        public async Task The_largest_value_the_store_allows_fits_etcds_request_limit_with_every_field_set()
        {
            // A long key, a condition and a lease: the largest request a put makes.
            byte[] key = new byte[1024];
            Stores.UniqueKey("limit").CopyTo(key, 0);
            key.AsSpan(40).Fill((byte)'k');
            WriteResult first = await _store.PutAsync(key, "v"u8.ToArray(), WriteCondition.None);
            byte[] value = new byte[_store.Options.MaxValueLength(key.Length)];

            WriteResult stored = await _store.PutAsync(key, value, WriteCondition.IfVersion(first.Version), TimeSpan.FromSeconds(60));

            Assert.Equal(WriteOutcome.Replaced, stored.Outcome);
            Assert.Equal(value.Length, (await _store.GetAsync(key)).Value!.Info.Length);
        }

        [Fact]
        public async Task A_value_one_byte_over_is_refused_before_it_is_sent()
        {
            byte[] key = Stores.UniqueKey("over");
            byte[] value = new byte[_store.Options.MaxValueLength(key.Length) + 1];
            var refused = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.PutAsync(key, value, WriteCondition.None));
            Assert.Contains("at most " + EtcdStoreOptions.DefaultMaxRequestBytes + " bytes", refused.Message);
            Assert.Null((await _store.GetAsync(key)).Value);
        }

        [Fact]
        public async Task Etcd_itself_refuses_a_request_over_its_limit()
        {
            // The limit the store applies is etcd's own, not one of ours: a put of the limit's size, sent
            // around the store's check, is refused by the cluster.
            using var raw = new dotnet_etcd.EtcdClient(string.Join(",", _store.Options.Endpoints));
            var put = new PutRequest { Key = ByteString.CopyFrom(Stores.UniqueKey("raw-over")), Value = ByteString.CopyFrom(new byte[EtcdStoreOptions.DefaultMaxRequestBytes]) };
            RpcException refused = await Assert.ThrowsAsync<RpcException>(() => raw.PutAsync(put));
            Assert.Contains("request is too large", refused.Status.Detail);
        }

        [Fact]
        public async Task A_cluster_out_of_reach_is_an_error_within_the_request_timeout_never_a_hang()
        {
            using EtcdStore lost = Stores.Connect(new[] { "http://127.0.0.1:" + Stores.UnusedPort() }, TimeSpan.FromSeconds(1));
            var took = Stopwatch.StartNew();

            EtcdUnavailableException get = await Assert.ThrowsAsync<EtcdUnavailableException>(() => lost.GetAsync("k"u8.ToArray()));
            await Assert.ThrowsAsync<EtcdUnavailableException>(() => lost.PutAsync("k"u8.ToArray(), "v"u8.ToArray(), WriteCondition.None));
            await Assert.ThrowsAsync<EtcdUnavailableException>(() => lost.WaitForChangeAsync("k"u8.ToArray(), 1, TimeSpan.FromSeconds(60)));

            Assert.Contains("etcd get", get.Message);
            Assert.Contains("127.0.0.1", get.Message);
            Assert.True(took.Elapsed < TimeSpan.FromSeconds(20), "three calls took " + took.Elapsed);
        }
    }
}
