using System.IO;
using EmbedKv.Server.Tests.PublicApi;

namespace EmbedKv.Etcd.Tests.PublicApi
{
    /// <summary>
    /// EmbedKv.Etcd's public surface, checked in as EmbedKv.Etcd.verified.txt beside this file, as the other
    /// shipped assemblies' are in tests/EmbedKv.Server.Tests/PublicApi: a change writes .received.txt and fails.
    /// Accept a deliberate change with EMBEDKV_ACCEPT_SNAPSHOTS=1 dotnet test tests/EmbedKv.Etcd.Tests --filter FullyQualifiedName~PublicApi.
    /// </summary>
    public sealed class EtcdPublicApiTests
    {
        [Fact]
        public void ThePublicSurfaceIsTheVerifiedOne()
            => VerifiedListing.Check(
                PublicApiLister.Render(typeof(EtcdStore).Assembly),
                Path.Combine(VerifiedListing.RepositoryRoot(), "tests", "EmbedKv.Etcd.Tests", "PublicApi"),
                "EmbedKv.Etcd",
                VerifiedListing.AcceptVariable + "=1 dotnet test tests/EmbedKv.Etcd.Tests --filter FullyQualifiedName~PublicApi");
    }
}
