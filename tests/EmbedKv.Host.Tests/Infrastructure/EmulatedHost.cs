using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using EmbedKv.Server.Tests.Security;

namespace EmbedKv.Host.Tests.Infrastructure
{
    /// <summary>
    /// qemu-aarch64 (user-mode emulation: arm64 code translated, its syscalls passed to this x86_64 kernel) and
    /// the arm64 libraries it loads a dynamically linked program with. .ci/run installs both, so a missing one
    /// fails the test with what to install instead of skipping it: a skipped arm64 test would look like a passing one.
    /// </summary>
    internal static class Emulator
    {
        /// <summary>Debian's arm64 cross libraries: qemu's -L prefix, under which it finds /lib/ld-linux-aarch64.so.1.</summary>
        public const string Sysroot = "/usr/aarch64-linux-gnu";

        private const string InstallHint =
            "install qemu-user, libc6-arm64-cross and libstdc++6-arm64-cross (e.g. `apt-get install qemu-user libc6-arm64-cross " +
            "libstdc++6-arm64-cross`; .ci/run installs them) to run the arm64 end-to-end tests";

        public static string Qemu => ExternalTools.Find("qemu-aarch64", "/usr/bin/qemu-aarch64") ?? "qemu-aarch64";

        /// <summary>What is missing for running arm64 programs here, or null if nothing is.</summary>
        public static string? Missing()
        {
            if (ExternalTools.Find("qemu-aarch64", "/usr/bin/qemu-aarch64") is null)
            {
                return "qemu-aarch64 is not installed";
            }

            // The apphost and libcoreclr.so need glibc's loader and libstdc++ (and libgcc_s, which it pulls in).
            foreach (string library in new[] { "ld-linux-aarch64.so.1", "libc.so.6", "libstdc++.so.6", "libgcc_s.so.1" })
            {
                string path = Path.Combine(Sysroot, "lib", library);
                if (!File.Exists(path))
                {
                    return "the arm64 library " + path + " is not installed";
                }
            }

            return null;
        }

        public static void AssertInstalled()
        {
            string? missing = Missing();
            Assert.True(missing is null, missing + ": " + InstallHint);
        }
    }

    /// <summary>The published arm64 host run under qemu-aarch64 as a child process, serving on 127.0.0.1 only.</summary>
    internal static class EmulatedHost
    {
        /// <summary>
        /// Starts the published host on a port the kernel picks (the startup line says which) over
        /// <paramref name="dataDirectory"/>; wait with <see cref="HostProcess.WaitForListening"/>, which fails
        /// with the host's stdout and stderr if it exits instead.
        /// </summary>
        public static HostProcess Start(Aarch64Publish published, string workingDirectory, string dataDirectory)
        {
            string program = published.Program();
            var args = new[] { "-L", Emulator.Sysroot, program, "--port", "0", "--bind", "127.0.0.1", "--data", dataDirectory };

            // W^X is the runtime's default; set here so that a test runner's environment cannot turn it off unseen:
            // these tests are the proof that the arm64 host runs with it under the emulator.
            var environment = new Dictionary<string, string> { ["DOTNET_EnableWriteXorExecute"] = "1" };
            return HostProcess.StartExecutable(workingDirectory, Emulator.Qemu, args, environment);
        }
    }

    /// <summary>The fields of an ELF header the tests read.</summary>
    internal static class Elf
    {
        /// <summary>e_machine of an arm64 program (EM_AARCH64).</summary>
        public const ushort MachineAarch64 = 183;

        /// <summary>The e_machine of the 64-bit little-endian ELF file at <paramref name="path"/>; fails the test if it is not one.</summary>
        public static ushort Machine(string path)
        {
            byte[] header = new byte[20];
            using (FileStream file = File.OpenRead(path))
            {
                file.ReadExactly(header);
            }

            Assert.True(header.AsSpan(0, 4).SequenceEqual("\u007fELF"u8), path + " is not an ELF file");
            Assert.True(header[4] == 2 && header[5] == 1, path + " is not a 64-bit little-endian ELF file (EI_CLASS " + header[4] + ", EI_DATA " + header[5] + ")");
            return BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18));
        }
    }
}
