using System;
using System.Globalization;
using System.IO;
using EmbedKv.Package.Tests.Infrastructure;

namespace EmbedKv.Package.Tests
{
    /// <summary>
    /// The EmbedKv package, packed once for the tests with the documented command (docs/package.md) into a
    /// feed folder under a fresh temporary directory. Its version is unique (0.0.0-test.&lt;UTC time&gt;) and the
    /// consumer restores into its own empty NuGet cache, so no package cached by an earlier run can stand in
    /// for it. Build output goes to the temporary directory as well (--artifacts-path): the pack writes nothing
    /// into the repository, so it cannot disturb a build or test run there.
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

            // Run from the repository root, so that its global.json chooses the SDK, as for a developer there.
            Pack = DotnetCli.Run(
                RepositoryRoot,
                BuildTimeout,
                null,
                "pack", Path.Combine(RepositoryRoot, "server", "EmbedKv.Server"), "-c", "Release", "-o", Feed,
                "-p:Version=" + Version, "--artifacts-path", Path.Combine(Root, "artifacts"),
                "-warnaserror", "-tl:off", "--disable-build-servers");
        }

        public string RepositoryRoot { get; }

        /// <summary>The temporary directory that holds everything: feed, build output, consumer, NuGet cache.</summary>
        public string Root { get; }

        /// <summary>The folder the package was packed into: the consumer's package source.</summary>
        public string Feed { get; }

        public string Version { get; }

        internal CommandResult Pack { get; }

        /// <summary>Fails the calling test, with the pack's output, unless the pack made the package without warnings.</summary>
        /// <returns>The .nupkg file.</returns>
        public string AssertPacked()
        {
            Pack.AssertBuiltWithoutWarnings();
            string file = Path.Combine(Feed, "EmbedKv." + Version + ".nupkg");
            Assert.True(File.Exists(file), "no " + file + " after " + Pack);
            return file;
        }

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
