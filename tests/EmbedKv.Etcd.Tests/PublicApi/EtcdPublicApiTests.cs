using System;
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
        {
            string listing = PublicApiLister.Render(typeof(EtcdStore).Assembly);
            string directory = Path.Combine(RepositoryRoot(), "tests", "EmbedKv.Etcd.Tests", "PublicApi");
            string verified = Path.Combine(directory, "EmbedKv.Etcd.verified.txt");
            string received = Path.Combine(directory, "EmbedKv.Etcd.received.txt");
            if (Environment.GetEnvironmentVariable("EMBEDKV_ACCEPT_SNAPSHOTS") == "1")
            {
                File.WriteAllText(verified, listing);
                File.Delete(received);
                return;
            }

            if (File.Exists(verified) && File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal) == listing)
            {
                File.Delete(received);
                return;
            }

            File.WriteAllText(received, listing);
            Assert.Fail("The public API of EmbedKv.Etcd is not the verified one: diff -u " + verified + " " + received
                + "; if the change is deliberate: EMBEDKV_ACCEPT_SNAPSHOTS=1 dotnet test tests/EmbedKv.Etcd.Tests --filter FullyQualifiedName~PublicApi");
        }

        private static string RepositoryRoot()
        {
            for (DirectoryInfo? directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "EmbedKv.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("no EmbedKv.sln above " + AppContext.BaseDirectory);
        }
    }
}
