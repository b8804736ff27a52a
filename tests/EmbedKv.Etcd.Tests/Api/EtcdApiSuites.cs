using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Server.Tests.Api.Contract;

namespace EmbedKv.Etcd.Tests.Api
{
    // The API suites of tests/EmbedKv.Server.Tests/Api/Contract, every test of each, on the shared etcd cluster
    // (EtcdApiBackend). The same suites run on the local store as tests/EmbedKv.Server.Tests/Api/*Tests.

    [Collection(EtcdCollection.Name)]
    public sealed class EtcdConditionalRequestTests : ConditionalRequestContract
    {
        public EtcdConditionalRequestTests(SharedEtcdCluster etcd)
            : base(new EtcdApiBackend(etcd.Cluster))
        {
        }
    }

    [Collection(EtcdCollection.Name)]
    public sealed class EtcdExpiryRequestTests : ExpiryRequestContract
    {
        public EtcdExpiryRequestTests(SharedEtcdCluster etcd)
            : base(new EtcdApiBackend(etcd.Cluster))
        {
        }
    }

    [Collection(EtcdCollection.Name)]
    public sealed class EtcdListingTests : ListingContract
    {
        public EtcdListingTests(SharedEtcdCluster etcd)
            : base(new EtcdApiBackend(etcd.Cluster))
        {
        }
    }

    [Collection(EtcdCollection.Name)]
    public sealed class EtcdLongPollTests : LongPollContract
    {
        public EtcdLongPollTests(SharedEtcdCluster etcd)
            : base(new EtcdApiBackend(etcd.Cluster))
        {
        }
    }

    [Collection(EtcdCollection.Name)]
    public sealed class EtcdLostUpdateTests : LostUpdateContract
    {
        public EtcdLostUpdateTests(SharedEtcdCluster etcd)
            : base(new EtcdApiBackend(etcd.Cluster))
        {
        }
    }

    [Collection(EtcdCollection.Name)]
    public sealed class EtcdRangeRequestTests : RangeRequestContract
    {
        public EtcdRangeRequestTests(SharedEtcdCluster etcd)
            : base(new EtcdApiBackend(etcd.Cluster))
        {
        }
    }
}
