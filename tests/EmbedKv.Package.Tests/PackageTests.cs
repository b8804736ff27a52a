using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Security;
using System.Xml.Linq;
using EmbedKv.Package.Tests.Infrastructure;
using EmbedKv.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EmbedKv.Package.Tests
{
    /// <summary>
    /// The EmbedKv and EmbedKv.Client packages as a user meets them: what each .nupkg holds, and a fresh console
    /// project outside the repository that references them from a folder feed, first to serve keys (step 1),
    /// then to call a syscall stub the package's generator made from the project's own syscalls.json (step 2),
    /// then to talk to its server through the client package (step 3). The consumer's files are in
    /// Consumer/Step1 to Consumer/Step3; every build must be free of warnings.
    /// </summary>
    public sealed class PackageTests : IClassFixture<PackedPackage>
    {
        private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

        private readonly PackedPackage _package;
        private readonly ITestOutputHelper _output;

        public PackageTests(PackedPackage package, ITestOutputHelper output)
        {
            _package = package;
            _output = output;
        }

        [Fact]
        public void PackageHoldsBothAssembliesWithDocsTheGeneratorTheBuildTargetsReadmeAndLicense()
        {
            using ZipArchive zip = ZipFile.OpenRead(_package.AssertPacked());
            _output.WriteLine(_package.Pack.CommandLine + ": " + Seconds(_package.Pack));
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            string listing = string.Join(", ", entries.OrderBy(e => e, StringComparer.Ordinal));
            foreach (string expected in new[]
            {
                "lib/net10.0/EmbedKv.Server.dll", "lib/net10.0/EmbedKv.Server.xml",
                "lib/net10.0/EmbedKv.Runtime.dll", "lib/net10.0/EmbedKv.Runtime.xml",
                "analyzers/dotnet/cs/EmbedKv.Generators.dll", "build/EmbedKv.targets", "README.md", "LICENSE",
            })
            {
                Assert.True(entries.Contains(expected), expected + " is missing; the package holds " + listing);
            }

            Assert.Equal(File.ReadAllText(Path.Combine(_package.RepositoryRoot, "README.md")), ReadEntry(zip, "README.md"));

            XElement metadata = XElement.Parse(ReadEntry(zip, "EmbedKv.nuspec")).Elements().Single(e => e.Name.LocalName == "metadata");
            Assert.Equal("EmbedKv", Metadata(metadata, "id").Value);
            Assert.Equal(_package.Version, Metadata(metadata, "version").Value);
            Assert.Equal("MIT", Metadata(metadata, "license").Value);
            Assert.Equal("expression", (string?)Metadata(metadata, "license").Attribute("type"));
            Assert.Equal("README.md", Metadata(metadata, "readme").Value);

            // The runtime and the generator travel inside the package; no feed has them as packages.
            List<string?> dependencies = metadata.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => (string?)e.Attribute("id")).ToList();
            Assert.DoesNotContain("EmbedKv.Runtime", dependencies);
            Assert.DoesNotContain("EmbedKv.Generators", dependencies);
        }

        [Fact]
        public void ClientPackageHoldsItsAssemblyWithDocsReadmeAndLicenseAndDependsOnNoEmbedKvPackage()
        {
            using ZipArchive zip = ZipFile.OpenRead(_package.AssertClientPacked());
            _output.WriteLine(_package.ClientPack.CommandLine + ": " + Seconds(_package.ClientPack));
            var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            string listing = string.Join(", ", entries.OrderBy(e => e, StringComparer.Ordinal));
            foreach (string expected in new[] { "lib/net10.0/EmbedKv.Client.dll", "lib/net10.0/EmbedKv.Client.xml", "README.md", "LICENSE" })
            {
                Assert.True(entries.Contains(expected), expected + " is missing; the package holds " + listing);
            }

            // The client does not carry the server: no assembly of the EmbedKv package travels with it.
            Assert.Equal(new[] { "lib/net10.0/EmbedKv.Client.dll" }, entries.Where(e => e.EndsWith(".dll", StringComparison.Ordinal)));
            Assert.Equal(File.ReadAllText(Path.Combine(_package.RepositoryRoot, "README.md")), ReadEntry(zip, "README.md"));
            Assert.Equal(File.ReadAllText(Path.Combine(_package.RepositoryRoot, "LICENSE")), ReadEntry(zip, "LICENSE"));

            XElement metadata = XElement.Parse(ReadEntry(zip, "EmbedKv.Client.nuspec")).Elements().Single(e => e.Name.LocalName == "metadata");
            Assert.Equal("EmbedKv.Client", Metadata(metadata, "id").Value);
            Assert.Equal(_package.Version, Metadata(metadata, "version").Value);
            Assert.Equal("MIT", Metadata(metadata, "license").Value);
            Assert.Equal("expression", (string?)Metadata(metadata, "license").Attribute("type"));
            Assert.Equal("README.md", Metadata(metadata, "readme").Value);

            // HttpClientFactory and configuration binding, nothing else; above all no EmbedKv package.
            XElement group = Assert.Single(Metadata(metadata, "dependencies").Elements());
            Assert.Equal("net10.0", (string?)group.Attribute("targetFramework"));
            Assert.Equal(
                new[] { "Microsoft.Extensions.Http", "Microsoft.Extensions.Options.ConfigurationExtensions" },
                group.Elements().Select(e => (string?)e.Attribute("id")).OrderBy(id => id, StringComparer.Ordinal));
        }

        [Fact]
        public void FreshConsoleProjectServesKeysCallsAStubFromItsOwnSyscallTableThenUsesTheClientPackage()
        {
            _package.AssertPacked();
            _package.AssertClientPacked();
            string consumer = Path.Combine(_package.Root, "Consumer");
            Directory.CreateDirectory(consumer);
            AssertNoBuildCustomizationApplies(consumer);
            File.WriteAllText(Path.Combine(consumer, "nuget.config"), NuGetConfig(_package.Feed));

            // Step 1: reference the package, start a server on a free port, store a key and read it back.
            CopyStep("Step1", consumer);
            Build(consumer);
            string firstRun = Path.Combine(_package.Root, "run1");
            AssertPrints(Run(consumer, firstRun), "PUT 201", "GET hello from the package");
            Assert.True(Directory.Exists(Path.Combine(firstRun, "embedkv-data")), "KvServer.Start(0) keeps its data in ./embedkv-data");

            // Step 2: add a syscalls.json declaring uname; the generator makes Consumer.Sys.Uname in this project.
            CopyStep("Step2", consumer);
            Build(consumer);
            AssertPrints(
                Run(consumer, Path.Combine(_package.Root, "run2")),
                "PUT 201",
                "GET hello from the package",
                "uname 0 Linux",
                "stub from Consumer, table version 1",
                "on X64");

            // Step 2 for a linux-arm64 consumer: the same project published self-contained for arm64 and run under
            // qemu-aarch64 serves keys through the package's aarch64 stubs and calls uname through its own.
            AssertPrints(
                RunOnArm64(PublishForArm64(consumer), Path.Combine(_package.Root, "run2-arm64")),
                "PUT 201",
                "GET hello from the package",
                "uname 0 Linux",
                "stub from Consumer, table version 1",
                "on Arm64");

            // Step 3: add the EmbedKv.Client package; serve with data in a temporary directory and use the server
            // through EmbedKvClient, registered with services.AddEmbedKvClient(configuration).
            CopyStep("Step3", consumer);
            Build(consumer);
            string thirdRun = Path.Combine(_package.Root, "run3");
            AssertPrints(
                Run(consumer, thirdRun),
                "PUT Created",
                "GET hello from the client package, the version written",
                "PUT if that version Replaced, then PreconditionFailed",
                "UPDATE x8 counter 8",
                "LIST fruit/apple:5 fruit/banana:6 fruit/cherry:6",
                "DELETE Deleted, then GET absent",
                "data was in the temporary directory");
            Assert.False(Directory.Exists(Path.Combine(thirdRun, "embedkv-data")), "the data directory was the temporary one, not ./embedkv-data");

            // Step 4: the README's embedding example, exactly as written, is a whole program that runs.
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), ReadmeExample("## Embedding"));
            Build(consumer);
            string fourthRun = Path.Combine(_package.Root, "run4");
            string line = Assert.Single(Run(consumer, fourthRun).StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Matches(@"^serving on http://127\.0\.0\.1:[0-9]+/ with 0 keys$", line);
            Assert.True(Directory.Exists(Path.Combine(fourthRun, "data")), "the example keeps its data in ./data");
        }

        /// <summary>The first C# block after <paramref name="heading"/> in the repository's README.</summary>
        private string ReadmeExample(string heading)
        {
            string readme = File.ReadAllText(Path.Combine(_package.RepositoryRoot, "README.md"));
            int section = readme.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
            Assert.True(section >= 0, "README.md has no " + heading);
            int start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal) + "```csharp\n".Length;
            int end = readme.IndexOf("```", start, StringComparison.Ordinal);
            return readme.Substring(start, end - start);
        }

        private static string ReadEntry(ZipArchive zip, string name)
        {
            using var reader = new StreamReader(zip.GetEntry(name)!.Open());
            return reader.ReadToEnd();
        }

        private static XElement Metadata(XElement metadata, string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

        /// <summary>The consumer must be a stranger to the repository: no Directory.Build.* of ours (or anyone's) above it.</summary>
        private void AssertNoBuildCustomizationApplies(string consumer)
        {
            Assert.False(consumer.StartsWith(_package.RepositoryRoot, StringComparison.Ordinal), consumer + " is inside the repository; set TMPDIR elsewhere");
            for (DirectoryInfo? directory = new DirectoryInfo(consumer); directory is not null; directory = directory.Parent)
            {
                foreach (string file in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
                {
                    Assert.False(File.Exists(Path.Combine(directory.FullName, file)), Path.Combine(directory.FullName, file) + " would apply to the consumer project");
                }
            }
        }

        /// <summary>The temporary feed, added to whatever feeds the machine's own NuGet configuration names.</summary>
        private static string NuGetConfig(string feed)
            => "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
               + "<!-- Written by tests/EmbedKv.Package.Tests: the freshly packed EmbedKv packages, beside the machine's own feeds. -->\n"
               + "<configuration>\n  <packageSources>\n"
               + "    <add key=\"embedkv-test\" value=\"" + SecurityElement.Escape(feed) + "\" />\n"
               + "  </packageSources>\n</configuration>\n";

        private void CopyStep(string step, string consumer)
        {
            string source = Path.Combine(_package.RepositoryRoot, "tests", "EmbedKv.Package.Tests", "Consumer", step);
            foreach (string file in Directory.GetFiles(source))
            {
                // Written, not copied: File.Copy keeps the source's older time, and the build would think it up to date.
                File.WriteAllBytes(Path.Combine(consumer, Path.GetFileName(file)), File.ReadAllBytes(file));
            }
        }

        private void Build(string consumer)
        {
            // Into a NuGet cache of its own, so the package comes from the feed folder. NuGetAudit is off for the
            // reason Directory.Build.props gives: the vulnerability feed is not reachable from every machine.
            CommandResult build = DotnetCli.Run(
                consumer,
                PackedPackage.BuildTimeout,
                new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_package.Root, "packages") },
                "build", "-p:EmbedKvVersion=" + _package.Version, "-p:NuGetAudit=false",
                "-warnaserror", "-tl:off", "--disable-build-servers");
            _output.WriteLine(build.CommandLine + ": " + Seconds(build));
            build.AssertBuiltWithoutWarnings();
            Assert.True(build.Output.Contains("0 Warning(s)", StringComparison.Ordinal), "no warning count: " + build);
        }

        private CommandResult Run(string consumer, string workingDirectory)
        {
            Directory.CreateDirectory(workingDirectory);
            CommandResult run = DotnetCli.Run(
                workingDirectory, RunTimeout, null, Path.Combine(consumer, "bin", "Debug", "net10.0", "Consumer.dll"));
            _output.WriteLine(run.CommandLine + ": " + Seconds(run));
            return run.AssertSucceeded();
        }

        private string PublishForArm64(string consumer)
        {
            string output = Path.Combine(_package.Root, "arm64");
            CommandResult publish = DotnetCli.Run(
                consumer,
                PackedPackage.BuildTimeout,
                new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_package.Root, "packages") },
                "publish", "-r", "linux-arm64", "--self-contained", "-o", output, "-p:EmbedKvVersion=" + _package.Version, "-p:NuGetAudit=false",
                "-warnaserror", "-tl:off", "--disable-build-servers");
            _output.WriteLine(publish.CommandLine + ": " + Seconds(publish));
            publish.AssertBuiltWithoutWarnings();
            return Path.Combine(output, "Consumer");
        }

        private CommandResult RunOnArm64(string program, string workingDirectory)
        {
            Directory.CreateDirectory(workingDirectory);
            string emulator = Arm64Emulator.Require();

            // No ICU for arm64 on the machine: the invariant culture is all the consumer needs.
            CommandResult run = DotnetCli.RunProgram(
                emulator, "qemu-aarch64", workingDirectory, RunTimeout,
                new Dictionary<string, string> { ["DOTNET_SYSTEM_GLOBALIZATION_INVARIANT"] = "1" },
                "-L", Arm64Emulator.SysRoot, program);
            _output.WriteLine(run.CommandLine + ": " + Seconds(run));
            return run.AssertSucceeded();
        }

        private static string Seconds(CommandResult command)
            => command.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s";

        private static void AssertPrints(CommandResult run, params string[] expected)
        {
            string[] lines = run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.True(lines.SequenceEqual(expected), "expected " + string.Join(" | ", expected) + "; " + run);
        }
    }
}
