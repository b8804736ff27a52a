using System.IO;
using System.Linq;
using EmbedKv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Tests
{
    /// <summary>A bad table never crashes the generator and never yields half a file, however it is cut or bent.</summary>
    public sealed class RobustnessTests
    {
        [Fact]
        public void EveryPrefixOfTheRealTableIsHandled()
        {
            string table = File.ReadAllText(RepositoryPaths.SyscallsJson);
            for (int length = 0; length < table.Length; length += 211)
            {
                AssertHandled(table.Substring(0, length));
            }
        }

        [Fact]
        public void MangledTablesAreHandled()
        {
            string table = File.ReadAllText(RepositoryPaths.SyscallsJson);
            string[] mangled =
            {
                table.Replace("\"number\": 0,", "\"number\": null,"),
                table.Replace("\"args\": [", "\"args\": [null, "),
                table.Replace("\"type\": \"int\"", "\"type\": 5"),
                table.Replace("\"values\": [", "\"values\": {\"x\": 1}, \"v\": ["),
                table.Replace("\"fields\": [", "\"fields\": [[], "),
                table.Replace("{ \"name\"", "[ \"name\"").Replace("] }", "] ]"),
                "[]",
                "null",
                "\"text\"",
            };
            foreach (string variant in mangled)
            {
                AssertHandled(variant);
            }
        }

        private static void AssertHandled(string table)
        {
            GeneratorRunResult result = GeneratorHarness.CreateDriver(table)
                .RunGenerators(GeneratorHarness.CreateCompilation("class C { }"))
                .GetRunResult().Results.Single();
            Assert.Null(result.Exception);
            if (result.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            {
                Assert.Empty(result.GeneratedSources);
            }
        }
    }
}
