// The stub tests check the generator's machine code with tools that know the instruction sets
// independently of it: objdump, the arm64 cross compiler and qemu-user. .ci/run installs them, so a
// missing one fails the test with what to install, as KernelHeaderTests does for gcc and the TLS
// tests for nginx, instead of skipping it: a skipped check of a stub looks like a passing one, and a
// wrong stub is no compile error anywhere, only a wrong syscall at run time.
using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace EmbedKv.Generators.Tests.Infrastructure
{
    /// <summary>Finds and runs the external tools the stub tests need; fails (never skips) when one is missing.</summary>
    internal static class ExternalTools
    {
        /// <summary>objdump for x86_64 (binutils, which gcc depends on).</summary>
        public const string Objdump = "objdump";

        /// <summary>objdump for aarch64 (binutils-aarch64-linux-gnu, which gcc-aarch64-linux-gnu depends on).</summary>
        public const string Aarch64Objdump = "aarch64-linux-gnu-objdump";

        /// <summary>The arm64 cross compiler; -static links against libc6-dev-arm64-cross's libc.a.</summary>
        public const string Aarch64Gcc = "aarch64-linux-gnu-gcc";

        /// <summary>qemu-user's arm64 emulator, which runs a static arm64 program on this machine.</summary>
        public const string QemuAarch64 = "qemu-aarch64";

        private static readonly Dictionary<string, string> Packages = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [Objdump] = "binutils",
            [Aarch64Objdump] = "binutils-aarch64-linux-gnu",
            [Aarch64Gcc] = "gcc-aarch64-linux-gnu libc6-dev-arm64-cross",
            [QemuAarch64] = "qemu-user",
        };

        /// <summary>The tool's path; fails the test, naming the Debian package, when it is not on PATH.</summary>
        public static string Require(string tool)
        {
            string? found = (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Select(directory => Path.Combine(directory, tool))
                .FirstOrDefault(File.Exists);
            Assert.True(
                found is not null,
                tool + " is not installed: install it (sudo apt-get install " + Packages[tool] + "; .ci/run does). "
                + "The stub tests fail rather than skip without it.");
            return found!;
        }

        /// <summary>Runs a tool to completion within <paramref name="timeout"/>; returns its exit code, stdout and stderr.</summary>
        public static (int ExitCode, string Output, string Errors) Run(string tool, TimeSpan timeout, params string[] arguments)
        {
            var start = new ProcessStartInfo(Require(tool))
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            Process process;
            try
            {
                process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + tool);
            }
            catch (Win32Exception e)
            {
                throw new InvalidOperationException("could not start " + tool + ": " + e.Message, e);
            }

            using (process)
            {
                // Both pipes drain at once, so a chatty tool cannot block on a full one.
                Task<string> output = process.StandardOutput.ReadToEndAsync();
                Task<string> errors = process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(timeout))
                {
                    process.Kill(entireProcessTree: true);
                    Assert.Fail(tool + " " + string.Join(' ', arguments) + " did not finish within " + timeout.TotalSeconds + " s");
                }

                process.WaitForExit();
                return (process.ExitCode, output.GetAwaiter().GetResult(), errors.GetAwaiter().GetResult());
            }
        }
    }
}
