using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>The stub page itself: never writable and executable, the libc fallback, unsupported platforms.</summary>
    public sealed class StubPageTests
    {
        [Fact]
        public void StubPageIsReadExecuteAndNotWritable()
        {
            Sys.Getpid(); // maps the page if nothing has yet
            nint page = Assert.Single(StubPage.Pages);

            string? permissions = File.ReadLines("/proc/self/maps")
                .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Where(fields => Contains(fields[0], page))
                .Select(fields => fields[1])
                .FirstOrDefault();
            Assert.Equal("r-xp", permissions);
        }

        [Theory]
        [InlineData(StubPage.ForceFallbackVariable)]
        [InlineData(StubPage.ForceFallbackSwitch)]
        public void ForcedFallbackMakesTheSameCallsThroughLibc(string forcedBy)
        {
            Sys.Getpid(); // this copy of the runtime keeps its machine-code stubs
            var stderr = new StringWriter();
            TextWriter original = Console.Error;
            var context = new AssemblyLoadContext("fallback", isCollectible: true);
            Force(forcedBy, true);
            try
            {
                Console.SetError(stderr);

                // A second copy of the runtime in its own load context initializes afresh and sees the variable.
                Assembly copy = context.LoadFromAssemblyPath(typeof(StubPage).Assembly.Location);
                Type sys = copy.GetType(typeof(Sys).FullName!)!;
                Type page = copy.GetType(typeof(StubPage).FullName!)!;

                Assert.Equal((nint)Environment.ProcessId, (nint)sys.GetMethod(nameof(Sys.Getpid))!.Invoke(null, null)!);
                Assert.Equal((nint)(-Sys.EBADF), (nint)sys.GetMethod(nameof(Sys.Close))!.Invoke(null, new object[] { -1 })!);
                Assert.Equal(nameof(StubMode.LibcFallback), page.GetProperty(nameof(StubPage.Mode), BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!.ToString());
                Assert.Contains(forcedBy, (string)page.GetProperty(nameof(StubPage.FallbackReason), BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!);
                Assert.Empty((System.Collections.IEnumerable)page.GetProperty(nameof(StubPage.Pages), BindingFlags.NonPublic | BindingFlags.Static)!.GetValue(null)!);
            }
            finally
            {
                Console.SetError(original);
                Force(forcedBy, false);
                context.Unload();
            }

            // One warning line, however many calls went through the fallback.
            string[] warnings = stderr.ToString().Split('\n').Where(line => line.Contains("libc's syscall()", StringComparison.Ordinal)).ToArray();
            Assert.Single(warnings);
            Assert.Equal(StubMode.MachineCode, StubPage.Mode);
        }

        [Theory]
        [InlineData(false, Architecture.X64)]
        [InlineData(false, Architecture.Arm64)]
        [InlineData(true, Architecture.Arm)]
        [InlineData(true, Architecture.RiscV64)]
        public void OtherPlatformsGetPlatformNotSupported(bool isLinux, Architecture architecture)
        {
            var error = Assert.Throws<PlatformNotSupportedException>(() => StubPage.ThrowIfUnsupported(isLinux, architecture));
            Assert.StartsWith("EmbedKv makes Linux x86_64 and aarch64 system calls directly; this process runs on ", error.Message);
            Assert.Contains(architecture.ToString(), error.Message);
        }

        [Theory]
        [InlineData(Architecture.X64)]
        [InlineData(Architecture.Arm64)]
        public void LinuxX64AndArm64AreSupported(Architecture architecture) => StubPage.ThrowIfUnsupported(true, architecture);

        [Fact]
        public void FallbackAnswersEnosysForACallTheTableMarksMissingHere()
            => Assert.Equal(-Sys.ENOSYS, StubPage.Fallback(StubPage.Missing, StubPage.Missing, 0, 0, 0, 0, 0, 0));

        [Fact]
        public void FallbackRefusesAnArchitectureTheTableDoesNotDescribe()
        {
            var error = Assert.Throws<PlatformNotSupportedException>(() => StubPage.Fallback(StubPage.Undescribed, StubPage.Undescribed, 0, 0, 0, 0, 0, 0));
            Assert.Contains("does not describe " + RuntimeInformation.ProcessArchitecture, error.Message);
        }

        [Fact]
        public void FallbackTakesThisArchitecturesNumber()
            => Assert.Equal(Environment.ProcessId, (int)StubPage.Fallback(39, 172, 0, 0, 0, 0, 0, 0));

        // On x86_64 libgcc's __clear_cache is an empty function; this shows that the import aarch64 relies
        // on resolves in a .NET process and runs over a mapped stub page (the emulated host runs it for real).
        [Fact]
        public void TheInstructionCacheSynchronizationResolvesAndRunsOverTheStubPage()
            => Assert.Null(StubPage.SynchronizeInstructionCache(Assert.Single(StubPage.Pages), 16));

        [Fact]
        public void TheFallbackVariableIsNotAHostSetting()
            => Assert.False(StubPage.ForceFallbackVariable.StartsWith("EMBEDKV_", StringComparison.OrdinalIgnoreCase));

        // Both the variable and the switch are process-wide; the runtime's own copy has read neither,
        // since it mapped its page before the test set them.
        private static void Force(string forcedBy, bool on)
        {
            if (forcedBy == StubPage.ForceFallbackVariable)
            {
                Environment.SetEnvironmentVariable(forcedBy, on ? "1" : null);
            }
            else
            {
                AppContext.SetSwitch(forcedBy, on);
            }
        }

        private static bool Contains(string range, nint address)
        {
            string[] bounds = range.Split('-');
            ulong start = ulong.Parse(bounds[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            ulong end = ulong.Parse(bounds[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return (ulong)address >= start && (ulong)address < end;
        }
    }
}
