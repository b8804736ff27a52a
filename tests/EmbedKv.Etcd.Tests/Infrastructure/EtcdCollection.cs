namespace EmbedKv.Etcd.Tests.Infrastructure
{
    /// <summary>
    /// The test classes that share one <see cref="SharedEtcdCluster"/>: <c>[Collection(EtcdCollection.Name)]</c>. xunit
    /// runs the classes of a collection one after another, so no two use the cluster at once; they do see each other's
    /// keys, so each test writes under keys of its own.
    /// </summary>
    [CollectionDefinition(Name)]
    public sealed class EtcdCollection : ICollectionFixture<SharedEtcdCluster>
    {
        public const string Name = "etcd cluster";
    }
}
