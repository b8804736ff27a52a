using System;
using System.Text;
using EmbedKv.Etcd.Tests.Backend;
using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Server;
using EmbedKv.Server.Tests.Api.Contract;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Etcd.Tests.Api
{
    /// <summary>
    /// The API suites (tests/EmbedKv.Server.Tests/Api/Contract) on the shared 3-member etcd cluster. Each server's keys
    /// are under a fresh prefix (<see cref="EtcdStoreOptions.KeyPrefix"/>), so a suite's "/k" and "all keys" are its own
    /// although the cluster outlives the test. The differences are those docs/etcd.md lists under "Where etcd differs".
    /// </summary>
    internal sealed class EtcdApiBackend : ApiBackend
    {
        private readonly EtcdCluster _cluster;

        public EtcdApiBackend(EtcdCluster cluster) => _cluster = cluster;

        public override bool JudgesConditionsBeforeTheBody => false;

        public override int LargeValueLength => 1 << 20;

        // The lease ends up to a second after the Expires (whole seconds), then the leader's lessor notices it
        // (every 500 ms) and revokes it in a Raft round: 3 s is ample, and the tests stop asking once it is gone.
        public override TimeSpan ExpiryLag => TimeSpan.FromSeconds(3);

        public override int RaceRounds => 4;

        public override TestServer Start(Action<KvServerOptions>? configure = null)
        {
            var options = new EtcdStoreOptions { RequestTimeout = TimeSpan.FromSeconds(10), KeyPrefix = Encoding.UTF8.GetString(Stores.UniqueKey("api/")) };
            foreach (string endpoint in _cluster.ClientUrls)
            {
                options.Endpoints.Add(endpoint);
            }

            var etcd = new EtcdBackend(options);
            return TestServer.OnBackend(new WaitCountingBackend(etcd), etcd, configure);
        }

        public override int WaitingReads(TestServer server) => ((WaitCountingBackend)server.Server.Options.Backend!).Waiting;
    }
}
