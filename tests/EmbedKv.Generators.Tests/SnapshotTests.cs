using System.IO;
using System.Linq;
using EmbedKv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Tests
{
    /// <summary>The generated source, file by file, against checked-in snapshots.</summary>
    public sealed class SnapshotTests
    {
        [Fact]
        public void RealTable()
            => MatchEveryFile(File.ReadAllText(RepositoryPaths.SyscallsJson), "RealTable");

        [Fact]
        public void EveryArgumentType()
            => MatchEveryFile(File.ReadAllText(Path.Combine(RepositoryPaths.TestProject, "Tables", "every-type.json")), "EveryType");

        [Fact]
        public void JumpEnding()
            => MatchEveryFile(File.ReadAllText(Path.Combine(RepositoryPaths.TestProject, "Tables", "jump-ending.json")), "JumpEnding");

        [Fact]
        public void TwoArchitectures()
            => MatchEveryFile(File.ReadAllText(Path.Combine(RepositoryPaths.TestProject, "Tables", "two-architectures.json")), "TwoArchitectures");

        [Fact]
        public void StubReturnDefaultsToRet()
        {
            const string Table = """
                { "version": 1, {0} "syscalls": [
                  { "name": "getpid", "number": 39, "blocking": false, "man": "https://man7.org/linux/man-pages/man2/getpid.2.html", "args": [] } ] }
                """;
            string omitted = Generate(Table.Replace("{0}", string.Empty));
            string explicitRet = Generate(Table.Replace("{0}", "\"stubReturn\": \"ret\","));
            string jump = Generate(Table.Replace("{0}", "\"stubReturn\": \"jump\","));

            Assert.Equal(omitted, explicitRet);
            Assert.Contains("0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3, 0xCC,", omitted);
            Assert.Contains("0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05, 0x59, 0xFF, 0xE1, 0xCC,", jump);
        }

        [Fact]
        public void NamespaceDefaultsToRootNamespace()
        {
            const string Table = """
                { "version": 1, "syscalls": [
                  { "name": "getpid", "number": 39, "blocking": false, "man": "https://man7.org/linux/man-pages/man2/getpid.2.html", "args": [] } ] }
                """;
            (GeneratorRunResult result, _) = GeneratorHarness.Run(Table, rootNamespace: "My.App");
            string text = result.GeneratedSources.Single().SourceText.ToString();
            Assert.Contains("namespace My.App\n", text);
            Assert.Contains("internal static unsafe partial class Sys\n", text);
        }

        private static string Generate(string table)
        {
            (GeneratorRunResult result, _) = GeneratorHarness.Run(table);
            Assert.Empty(result.Diagnostics);
            return result.GeneratedSources.Single().SourceText.ToString();
        }

        private static void MatchEveryFile(string table, string name)
        {
            (GeneratorRunResult result, Compilation output) = GeneratorHarness.Run(table);
            Assert.Empty(result.Diagnostics);

            // The generated code must compile against the runtime with no warnings at all, save one:
            // the real table's types also exist in the referenced runtime, which CS0436 points out.
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning && d.Id != "CS0436"));
            string[] failures = result.GeneratedSources
                .Select(source => Snapshot.Compare(source.SourceText.ToString(), name + "." + Path.GetFileNameWithoutExtension(source.HintName), "cs"))
                .OfType<string>()
                .ToArray();
            Assert.True(failures.Length == 0, string.Join("\n", failures));
        }
    }
}
