using System.Linq;
using System.Text.RegularExpressions;
using EmbedKv.Generators.Emit;
using EmbedKv.Generators.Model;
using EmbedKv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EmbedKv.Generators.Tests
{
    /// <summary>
    /// The bound model carries every architecture's numbers, values and layouts, and each
    /// architecture's stub page comes from that model alone.
    /// </summary>
    public sealed class ArchitectureModelTests
    {
        private static readonly string RealTable = Tables.Real;

        [Fact]
        public void RealTableCarriesAarch64NumbersValuesAndLayouts()
        {
            TableModel table = Bind(RealTable);

            Assert.Equal(new[] { Architecture.X86_64, Architecture.Aarch64 }, table.Architectures.ToArray());
            SyscallModel openat = table.Syscalls.Single(s => s.Name == "openat");
            Assert.Equal(257, openat.NumberOn(Architecture.X86_64));
            Assert.Equal(56, openat.NumberOn(Architecture.Aarch64));
            Assert.All(table.Syscalls, s => Assert.NotNull(s.NumberOn(Architecture.Aarch64)));

            ConstantModel directory = table.ConstantGroups.SelectMany(g => g.Constants).Single(c => c.Name == "O_DIRECTORY");
            Assert.Equal(0x10000, directory.On(Architecture.X86_64).Value);
            Assert.Equal(0x4000, directory.On(Architecture.Aarch64).Value);

            StructModel epoll = table.Structs.Single(s => s.Name == "EpollEvent");
            Assert.Equal(1, epoll.On(Architecture.X86_64).Pack);
            Assert.Equal(0, epoll.On(Architecture.Aarch64).Pack);

            StructModel stat = table.Structs.Single(s => s.Name == "Stat");
            Assert.Equal("Nlink", stat.On(Architecture.X86_64).Fields[2].Name);
            Assert.Equal("Mode", stat.On(Architecture.Aarch64).Fields[2].Name);
        }

        [Fact]
        public void MissingIsNullOnThatArchitectureOnly()
        {
            TableModel table = Bind(Tables.Test("two-architectures.json"));

            SyscallModel wait = table.Syscalls.Single(s => s.Name == "epoll_wait");
            Assert.Equal(232, wait.NumberOn(Architecture.X86_64));
            Assert.Null(wait.NumberOn(Architecture.Aarch64));
            SyscallModel elsewhere = table.Syscalls.Single(s => s.Name == "only_elsewhere");
            Assert.Null(elsewhere.NumberOn(Architecture.X86_64));
            Assert.Equal(500, elsewhere.NumberOn(Architecture.Aarch64));

            // Numbers are kept in the table's architecture order, whatever order an entry writes them in.
            Assert.Equal(
                new[] { Architecture.X86_64, Architecture.Aarch64 },
                table.Syscalls.Single(s => s.Name == "openat").Numbers.Select(n => n.Architecture).ToArray());
        }

        [Fact]
        public void OldNumberMeansX86_64Only()
        {
            TableModel table = Bind("""
                { "version": 1, "syscalls": [
                  { "name": "getpid", "number": 39, "blocking": false, "man": "https://man7.org/linux/man-pages/man2/getpid.2.html", "args": [] } ] }
                """);

            Assert.Equal(new[] { Architecture.X86_64 }, table.Architectures.ToArray());
            Assert.Equal(new ArchitectureNumber(Architecture.X86_64, 39), table.Syscalls.Single().Numbers.Single());
        }

        [Fact]
        public void EditingAnAarch64NumberChangesOnlyThatAarch64Stub()
        {
            AdditionalText before = GeneratorHarness.Table(RealTable);
            CSharpCompilation compilation = GeneratorHarness.CreateCompilation("class A { }");
            GeneratorDriver driver = GeneratorHarness.CreateDriver(before, trackSteps: true).RunGenerators(compilation);
            TableModel old = BoundTable(driver.GetRunResult().Results.Single());

            string edited = Regex.Replace(RealTable, "\"x86_64\": 257, \"aarch64\": 56", "\"x86_64\": 257, \"aarch64\": 999");
            Assert.NotEqual(RealTable, edited);
            AdditionalText after = GeneratorHarness.Table(edited);
            driver = driver.ReplaceAdditionalText(before, after).RunGenerators(compilation);

            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            Assert.All(Outputs(result, SyscallGenerator.Steps.Bind), o => Assert.Equal(IncrementalStepRunReason.Modified, o.Reason));
            TableModel now = BoundTable(result);
            Assert.Equal(999, now.Syscalls.Single(s => s.Name == "openat").NumberOn(Architecture.Aarch64));

            Assert.Equal(StubImage.Bytes(old, Architecture.X86_64), StubImage.Bytes(now, Architecture.X86_64));
            byte[] oldAarch64 = StubImage.Bytes(old, Architecture.Aarch64);
            byte[] newAarch64 = StubImage.Bytes(now, Architecture.Aarch64);
            int openat = StubImage.Offset(now.Syscalls.Select(s => s.Name).ToList().IndexOf("openat"));
            int[] changed = Enumerable.Range(0, newAarch64.Length).Where(i => oldAarch64[i] != newAarch64[i]).ToArray();
            Assert.NotEmpty(changed);
            Assert.All(changed, i => Assert.InRange(i, openat, openat + 3));
        }

        private static TableModel BoundTable(GeneratorRunResult result)
            => ((GenerationResult)Outputs(result, SyscallGenerator.Steps.Bind).Single().Value).Table!;

        private static TableModel Bind(string table) => Tables.Bind(table);

        private static System.Collections.Generic.List<(object Value, IncrementalStepRunReason Reason)> Outputs(GeneratorRunResult result, string step)
            => result.TrackedSteps[step].SelectMany(run => run.Outputs).ToList();
    }
}
