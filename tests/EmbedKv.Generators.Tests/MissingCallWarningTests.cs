// A call the table marks missing on one of its architectures compiles everywhere but returns -ENOSYS
// there. The generator cannot see the C# that calls it (the pipeline never reads the compilation), so it
// marks the method and lets the compiler report each use: warning EKV014, an error where warnings are.
using System.IO;
using System.Linq;
using EmbedKv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Tests
{
    /// <summary>Using a call some architecture lacks is a diagnostic at the use, naming the call and the architecture.</summary>
    public sealed class MissingCallWarningTests
    {
        private static readonly string TwoArchitectures = File.ReadAllText(Path.Combine(RepositoryPaths.TestProject, "Tables", "two-architectures.json"));

        [Fact]
        public void EachUseOfACallAnArchitectureLacksIsEkv014()
        {
            Diagnostic[] warnings = Compile("""
                namespace Probe.Interop
                {
                    public static unsafe class User
                    {
                        public static nint Wait() => Both.EpollWait(0, null, 0, 0);
                        public static nint Elsewhere() => Both.OnlyElsewhere(0);
                    }
                }
                """);

            Assert.Equal(2, warnings.Length);
            Assert.All(warnings, w => Assert.Equal(DiagnosticSeverity.Warning, w.Severity));
            Assert.Equal(
                new[]
                {
                    "'Both.EpollWait(int, Event*, int, int)' is obsolete: 'epoll_wait is missing on aarch64 (syscalls.json), where it returns -ENOSYS'",
                    "'Both.OnlyElsewhere(int)' is obsolete: 'only_elsewhere is missing on x86_64 (syscalls.json), where it returns -ENOSYS'",
                },
                warnings.Select(w => w.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).OrderBy(m => m, System.StringComparer.Ordinal));
        }

        [Fact]
        public void ACallEveryArchitectureHasIsNoWarning()
            => Assert.Empty(Compile("""
                namespace Probe.Interop
                {
                    public static unsafe class User
                    {
                        public static nint Open() => Both.Openat(0, null, Both.O_CREAT, 0);
                    }
                }
                """));

        private static Diagnostic[] Compile(string user)
        {
            GeneratorHarness.CreateDriver(TwoArchitectures)
                .RunGeneratorsAndUpdateCompilation(GeneratorHarness.CreateCompilation(user), out Compilation output, out _);
            Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
            return output.GetDiagnostics().Where(d => d.Id == "EKV014").ToArray();
        }
    }
}
