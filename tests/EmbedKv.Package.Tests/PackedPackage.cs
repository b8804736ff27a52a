using System;
using System.Globalization;
using System.IO;
using System.Threading.Tasks;
using EmbedKv.Package.Tests.Infrastructure;

namespace EmbedKv.Package.Tests
{
    /// <summary>
    /// The EmbedKv and EmbedKv.Client packages, packed once for the tests with the documented commands
    /// (docs/package.md) into one feed folder under a fresh temporary directory. Their version is unique
    /// (0.0.0-test.&lt;UTC time&gt;) and the consumer restores into its own empty NuGet cache, so no package cached
    /// by an earlier run can stand in for them. Build output goes to the temporary directory as well
    /// (--artifacts-path): the packs write nothing into the repository, so they cannot disturb a build or test
    /// run there.
    /// </summary>
    public sealed class PackedPackage : IDisposable
    {
        /// <summary>For one restore and build on a slow, shared machine.</summary>
        public static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);

        public PackedPackage()
        {
            RepositoryRoot = FindRepositoryRoot();
            Root = Path.Combine(Path.GetTempPath(), "embedkv-package-" + Guid.NewGuid().ToString("N"));
            Feed = Path.Combine(Root, "feed");
            Directory.CreateDirectory(Feed);
            Version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);

            // The two packs share no project, so they can run side by side: the client's is small, and beside the
            // server's it costs the test little time.
            Task<CommandResult> clientPack = Task.Run(() => PackProject("EmbedKv.Client"));
            Pack = PackProject("EmbedKv.Server");
            ClientPack = clientPack.GetAwaiter().GetResult();
        }

        public string RepositoryRoot { get; }

        /// <summary>The temporary directory that holds everything: feed, build output, consumer, NuGet cache.</summary>
        public string Root { get; }

        /// <summary>The folder the package was packed into: the consumer's package source.</summary>
        public string Feed { get; }

        public string Version { get; }

        /// <summary>The pack of server/EmbedKv.Server: the EmbedKv package.</summary>
        internal CommandResult Pack { get; }

        /// <summary>The pack of server/EmbedKv.Client: the EmbedKv.Client package.</summary>
        internal CommandResult ClientPack { get; }

        /// <summary>Fails the calling test, with the pack's output, unless the pack made the EmbedKv package without warnings.</summary>
        /// <returns>The .nupkg file.</returns>
        public string AssertPacked() => AssertPacked(Pack, "EmbedKv");

        /// <summary>As <see cref="AssertPacked()"/>, for the EmbedKv.Client package.</summary>
        /// <returns>The .nupkg file.</returns>
        public string AssertClientPacked() => AssertPacked(ClientPack, "EmbedKv.Client");

        public void Dispose()
        {
            try
            {
                Directory.Delete(Root, recursive: true);
            }
            catch (IOException)
            {
                // A child process may still be going away; /tmp is cleaned eventually.
            }
        }

        private CommandResult PackProject(string project)
        {
            // Run from the repository root, so that its global.json chooses the SDK, as for a developer there.
            return DotnetCli.Run(
                RepositoryRoot,
                BuildTimeout,
                null,
                "pack", Path.Combine(RepositoryRoot, "server", project), "-c", "Release", "-o", Feed,
                "-p:Version=" + Version, "--artifacts-path", Path.Combine(Root, "artifacts"),
                "-warnaserror", "-tl:off", "--disable-build-servers");
        }

        private string AssertPacked(CommandResult pack, string id)
        {
            pack.AssertBuiltWithoutWarnings();
            string file = Path.Combine(Feed, id + "." + Version + ".nupkg");
            Assert.True(File.Exists(file), "no " + file + " after " + pack);
            return file;
        }

        private static string FindRepositoryRoot()
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
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
