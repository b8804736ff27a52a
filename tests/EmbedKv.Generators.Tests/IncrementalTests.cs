using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using EmbedKv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EmbedKv.Generators.Tests
{
    /// <summary>The pipeline caches: C# edits never re-run it, and only a real table change re-emits.</summary>
    public sealed class IncrementalTests
    {
        private static readonly string RealTable = File.ReadAllText(RepositoryPaths.SyscallsJson);

        [Fact]
        public void EditingUnrelatedCodeDoesNotRerunAnyStep()
        {
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation("namespace Consumer { class A { } }");
            GeneratorDriver driver = GeneratorHarness.CreateDriver(RealTable, trackSteps: true).RunGenerators(compilation);

            SyntaxTree edited = CSharpSyntaxTree.ParseText("namespace Consumer { class A { int x; } }", new CSharpParseOptions(LanguageVersion.Latest));
            driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.First(), edited));

            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            foreach (string step in new[] { SyscallGenerator.Steps.Read, SyscallGenerator.Steps.Bind, SyscallGenerator.Steps.Emit })
            {
                Assert.All(Reasons(result, step), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
            }
        }

        [Fact]
        public void EditingTheTableReemits()
        {
            AdditionalText before = GeneratorHarness.Table(RealTable);
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation("class A { }");
            GeneratorDriver driver = GeneratorHarness.CreateDriver(before, trackSteps: true).RunGenerators(compilation);

            AdditionalText after = GeneratorHarness.Table(Regex.Replace(RealTable, "\"version\": \\d+,", "\"version\": 9999,"));
            driver = driver.ReplaceAdditionalText(before, after).RunGenerators(compilation);

            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            Assert.All(Reasons(result, SyscallGenerator.Steps.Emit), reason => Assert.Equal(IncrementalStepRunReason.Modified, reason));
            Assert.Contains("table version 9999", result.GeneratedSources[0].SourceText.ToString());
        }

        [Fact]
        public void ReformattingTheTableDoesNotReemit()
        {
            AdditionalText before = GeneratorHarness.Table(RealTable);
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation("class A { }");
            GeneratorDriver driver = GeneratorHarness.CreateDriver(before, trackSteps: true).RunGenerators(compilation);

            AdditionalText after = GeneratorHarness.Table("// reformatted\n" + RealTable.Replace("\n", "\n  "));
            driver = driver.ReplaceAdditionalText(before, after).RunGenerators(compilation);

            // The text changed, so Read and Bind run again; the bound model is equal, so Emit is not redone.
            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            Assert.All(Reasons(result, SyscallGenerator.Steps.Bind), reason => Assert.Equal(IncrementalStepRunReason.Unchanged, reason));
            Assert.All(Reasons(result, SyscallGenerator.Steps.Emit), reason => Assert.Equal(IncrementalStepRunReason.Cached, reason));
        }

        private static List<IncrementalStepRunReason> Reasons(GeneratorRunResult result, string step)
        {
            Assert.True(result.TrackedSteps.ContainsKey(step), "step " + step + " was not tracked");
            var reasons = result.TrackedSteps[step].SelectMany(run => run.Outputs).Select(output => output.Reason).ToList();
            Assert.NotEmpty(reasons);
            return reasons;
        }
    }
}
