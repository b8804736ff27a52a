using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using EmbedKv.Server.Tests.Infrastructure;

namespace EmbedKv.Host.Tests.Infrastructure
{
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
            var args = new[] { "-L", Arm64Emulator.SysRoot, program, "--port", "0", "--bind", "127.0.0.1", "--data", dataDirectory };

            // W^X is the runtime's default; set here so that a test runner's environment cannot turn it off unseen:
            // these tests are the proof that the arm64 host runs with it under the emulator.
            var environment = new Dictionary<string, string> { ["DOTNET_EnableWriteXorExecute"] = "1" };
            return HostProcess.StartExecutable(workingDirectory, Arm64Emulator.Qemu, args, environment);
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
