using System.IO;
using System.Linq;
using EmbedKv.Generators.Model;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Tests.Infrastructure
{
    /// <summary>The tables the tests use, as text and bound through the real generator into its <see cref="TableModel"/>.</summary>
    internal static class Tables
    {
        /// <summary>The repository's syscalls.json, the table EmbedKv ships.</summary>
        public static string Real => File.ReadAllText(RepositoryPaths.SyscallsJson);

        /// <summary>A table of tests/EmbedKv.Generators.Tests/Tables, by file name.</summary>
        public static string Test(string fileName) => File.ReadAllText(Path.Combine(RepositoryPaths.TestProject, "Tables", fileName));

        /// <summary>Runs the generator over <paramref name="table"/> and returns the model its Bind stage produced; fails on any diagnostic.</summary>
        public static TableModel Bind(string table)
        {
            GeneratorDriver driver = GeneratorHarness.CreateDriver(table, trackSteps: true)
                .RunGenerators(GeneratorHarness.CreateCompilation("class A { }"));
            var result = (GenerationResult)driver.GetRunResult().Results.Single()
                .TrackedSteps[SyscallGenerator.Steps.Bind].SelectMany(run => run.Outputs).Single().Value;
            Assert.Empty(result.Diagnostics);
            return result.Table!;
        }

        /// <summary>Where <paramref name="name"/>'s stub starts in every architecture's page of <paramref name="table"/>.</summary>
        public static int SlotOf(TableModel table, string name)
        {
            int index = table.Syscalls.Select(s => s.Name).ToList().IndexOf(name);
            Assert.True(index >= 0, "the table has no syscall " + name);
            return Emit.StubImage.Offset(index);
        }
    }
}
