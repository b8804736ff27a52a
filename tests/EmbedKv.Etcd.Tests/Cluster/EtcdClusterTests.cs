using System;
using System.Diagnostics;
using System.Linq;
using EmbedKv.Etcd.Tests.Infrastructure;

namespace EmbedKv.Etcd.Tests.Cluster
{
    /// <summary>
    /// The fixture itself: the backend's tests take for granted that <see cref="EtcdCluster"/> gives them a working
    /// 3-member cluster, and that killing and restarting members fails over and back as a real cluster does. Checked
    /// through etcd's own HTTP gateway (<see cref="EtcdGateway"/>), not the client library the backend uses.
    /// </summary>
    [Collection(EtcdCollection.Name)]
    public sealed class EtcdClusterTests
    {
        private readonly EtcdCluster _shared;

        public EtcdClusterTests(SharedEtcdCluster shared) => _shared = shared.Cluster;

        [Fact]
        public void ThreeMembersFormOneClusterWithOneLeader()
        {
            Assert.Equal(3, _shared.ClientUrls.Count);
            Assert.Equal(3, _shared.ClientUrls.Distinct().Count());
            Assert.All(_shared.ClientUrls, url => Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal));
            Assert.Equal(string.Join(',', _shared.ClientUrls), _shared.Endpoints);
            for (int member = 0; member < 3; member++)
            {
                Assert.True(_shared.IsRunning(member));
                Assert.True(EtcdGateway.IsHealthy(_shared.ClientUrls[member]), "member " + member + " is not healthy:\n" + _shared.LogTail(member));
            }

            EtcdGateway.Status[] statuses = _shared.ClientUrls
                .Select((url, member) => EtcdGateway.TryStatus(url) ?? throw new InvalidOperationException("member " + member + " gave no status:\n" + _shared.LogTail(member)))
                .ToArray();
            Assert.Single(statuses.Select(status => status.ClusterId).Distinct());
            Assert.Equal(3, statuses.Select(status => status.MemberId).Distinct().Count());
            ulong leaderId = Assert.Single(statuses.Select(status => status.Leader).Distinct());
            int leader = Assert.Single(Enumerable.Range(0, 3), member => statuses[member].MemberId == leaderId);
            Assert.Equal(leader, _shared.Leader());
        }

        [Fact]
        public void WriteThroughOneMemberIsReadThroughEveryOther()
        {
            for (int writer = 0; writer < 3; writer++)
            {
                string key = "cluster-tests/" + Guid.NewGuid().ToString("N");
                string value = "written through member " + writer;
                EtcdGateway.Put(_shared.ClientUrls[writer], key, value);
                for (int reader = 0; reader < 3; reader++)
                {
                    Assert.Equal(value, EtcdGateway.Get(_shared.ClientUrls[reader], key));
                }
            }

            Assert.Null(EtcdGateway.Get(_shared.ClientUrls[0], "cluster-tests/" + Guid.NewGuid().ToString("N")));
        }

        [Fact]
        public void KilledLeaderIsReplacedAndRejoinsWhenRestarted()
        {
            // Its own cluster: this one loses a member, which the shared cluster's users must never see.
            using EtcdCluster cluster = EtcdCluster.Start();
            int killed = cluster.Leader();
            ulong killedId = EtcdGateway.TryStatus(cluster.ClientUrls[killed])!.Value.MemberId;

            cluster.Kill(killed);
            Assert.False(cluster.IsRunning(killed));
            Assert.False(EtcdGateway.IsHealthy(cluster.ClientUrls[killed]));
            var election = Stopwatch.StartNew();
            int leader = cluster.Leader();
            election.Stop();
            Assert.NotEqual(killed, leader);
            Assert.True(cluster.IsRunning(leader));
            // Elections time out after 0.5 s here; seconds more would mean the members do not see each other.
            Assert.True(election.Elapsed < TimeSpan.FromSeconds(5), "the new leader took " + election.Elapsed.TotalSeconds + " s");

            // Through the surviving follower, so the write also has to find the new leader.
            int follower = Enumerable.Range(0, 3).Single(member => member != killed && member != leader);
            string key = "cluster-tests/" + Guid.NewGuid().ToString("N");
            EtcdGateway.Put(cluster.ClientUrls[follower], key, "written while " + killed + " was down");
            Assert.Equal("written while " + killed + " was down", EtcdGateway.Get(cluster.ClientUrls[leader], key));

            cluster.Restart(killed);
            Assert.True(cluster.IsRunning(killed));
            Assert.True(EtcdGateway.IsHealthy(cluster.ClientUrls[killed]), cluster.LogTail(killed));
            // The same member, back from its data directory, not a new one.
            Assert.Equal(killedId, EtcdGateway.TryStatus(cluster.ClientUrls[killed])!.Value.MemberId);
            Assert.Equal("written while " + killed + " was down", EtcdGateway.Get(cluster.ClientUrls[killed], key));
            Assert.InRange(cluster.Leader(), 0, 2);
        }
    }
}
