using System;

namespace EmbedKv.Etcd.Tests.Infrastructure
{
    /// <summary>
    /// The one <see cref="EtcdCluster"/> that every test class in <see cref="EtcdCollection"/> shares, so each class
    /// does not pay for a cluster of its own. Its tests must leave every member running: a test that kills members
    /// starts its own cluster.
    /// </summary>
    public sealed class SharedEtcdCluster : IDisposable
    {
        public SharedEtcdCluster() => Cluster = EtcdCluster.Start();

        internal EtcdCluster Cluster { get; }

        public void Dispose() => Cluster.Dispose();
    }
}
