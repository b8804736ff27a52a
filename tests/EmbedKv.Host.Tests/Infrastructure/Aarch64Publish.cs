using System;
using System.IO;
using EmbedKv.Package.Tests.Infrastructure;
using EmbedKv.Server.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests.Infrastructure
{
    /// <summary>
    /// server/EmbedKv.Host published self-contained for linux-arm64, once for a test class, into a fresh
    /// temporary directory. Build output and the RID-specific restore go there too (--artifacts-path): the
    /// repository's own bin and obj hold the x64 build the other tests run, and a publish writing there could
    /// disturb a build or test run of the same tree.
    /// </summary>
    public sealed class Aarch64Publish : IDisposable
    {
        /// <summary>For one restore and build on a slow, shared machine (a first restore also fetches the arm64 runtime pack).</summary>
        public static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(10);

        // Release, as a user would publish it: the arm64 JIT's optimized code around the stubs' function pointers
        // is what this test is for.
        private const string Configuration = "Release";

        private readonly TempDirectory _dir = new TempDirectory();
        private readonly object _gate = new object();
        private HostProcess? _shared;

        public Aarch64Publish()
        {
            Output = Path.Combine(_dir.Path, "publish");

            // Without the emulator the publish would be for nothing: every test fails on the missing tool at once.
            if (Arm64Emulator.Missing() is not null)
            {
                return;
            }

            Result = DotnetCli.Run(
                RepositoryRoot,
                PublishTimeout,
                null,
                "publish", Path.Combine(RepositoryRoot, "server", "EmbedKv.Host"), "-r", "linux-arm64", "--self-contained",
                "-c", Configuration, "-o", Output, "--artifacts-path", Path.Combine(_dir.Path, "artifacts"),
                // ReadyToRun would cross-compile every assembly (and fetch the crossgen pack) for a start-up the
                // emulator makes slow anyway; the JIT compiles what the test runs.
                "-p:PublishReadyToRun=false",
                // The solution's own build checks style and analyzers; here they would only double the publish's
                // time (measured: 128-185 s against 52-76 s on the 2-core machine under load). The syscall
                // generator still runs: it is a source generator, which RunAnalyzers does not turn off.
                "-p:RunAnalyzers=false", "-p:EnforceCodeStyleInBuild=false",
                "-tl:off", "--disable-build-servers");
        }

        /// <summary>The folder the host was published into: the apphost <c>embedkv</c> and the arm64 runtime beside it.</summary>
        public string Output { get; }

        /// <summary>The publish, or null if it was not tried (no emulator).</summary>
        internal CommandResult? Result { get; }

        /// <summary>The published apphost; fails the calling test, saying what to install or with the publish's whole output, if there is none.</summary>
        internal string Program()
        {
            Arm64Emulator.Require();
            Assert.True(Result is not null, "the publish was not run");
            Result!.AssertSucceeded();
            string program = Path.Combine(Output, "embedkv");
            Assert.True(File.Exists(program), "no " + program + " after " + Result);
            return program;
        }

        /// <summary>
        /// One emulated host, started at the first call and kept for the class's tests that need no start of their
        /// own (each uses keys of its own): under the emulator a start costs seconds of JIT. Fails the calling test,
        /// with the host's output, if it did not start; every later call fails the same way at once.
        /// </summary>
        internal (HostProcess Host, StartupLine Line) SharedHost()
        {
            lock (_gate)
            {
                if (_shared is null)
                {
                    string directory = Path.Combine(_dir.Path, "shared");
                    Directory.CreateDirectory(directory);
                    _shared = EmulatedHost.Start(this, directory, Path.Combine(directory, "data"));
                }

                return (_shared, _shared.WaitForListening());
            }
        }

        public void Dispose()
        {
            _shared?.Dispose();
            _dir.Dispose();
        }

        private static string RepositoryRoot
        {
            get
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
}
