// A call the table marks missing on x86_64 gets a slot that answers -ENOSYS (mov rax, -38; ret)
// without entering the kernel, and its fallback passes StubPage.Missing for x86_64; the call's
// aarch64 number must reach neither. The disassembly tests read those bytes; this test runs them:
// it compiles Tables/two-architectures.json with the real generator (through the loader
// JumpStubExecutionTests uses), loads it into this x86_64 process and calls only_elsewhere, whose
// aarch64 number it first sets to getpid's x86_64 number. A leak of that number into the x86_64
// stub or fallback would answer this process's id instead of -38. The table's other calls, beside
// the missing one, must still reach the kernel with their x86_64 numbers and constants.
using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using EmbedKv.Generators.Emit;
using EmbedKv.Generators.Model;
using EmbedKv.Generators.Tests.Infrastructure;
using EmbedKv.Runtime.Interop;
using Microsoft.CodeAnalysis;
using RuntimeArchitecture = System.Runtime.InteropServices.Architecture;

namespace EmbedKv.Generators.Tests
{
    /// <summary>The x86_64 -ENOSYS slot of a call missing on x86_64, run in-process through the generated method.</summary>
    [SupportedOSPlatform("linux")]
    public sealed class X86_64EnosysStubExecutionTests
    {
        private const int Enosys = 38;

        // Calls the generated Both methods; compiled beside the generated code.
        private const string Driver = """
            using System.Text;

            namespace Probe.Interop
            {
                public static unsafe class Driver
                {
                    // Many calls in a row: a slot that returned without balancing the stack would not survive them.
                    public static nint[] OnlyElsewhere(int count)
                    {
                        var results = new nint[count];
                        for (int i = 0; i < count; i++)
                        {
                            results[i] = Both.OnlyElsewhere(0);
                        }

                        return results;
                    }

                    public static nint EpollWaitOnNoDescriptor() => Both.EpollWait(-1, null, 1, 0);

                    public static nint OpenatAsDirectory(string path)
                    {
                        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
                        fixed (byte* p = name)
                        {
                            return Both.Openat(-100 /* AT_FDCWD */, p, Both.O_DIRECTORY, 0);
                        }
                    }
                }
            }
            """;

        [Fact]
        public void MissingCallAnswersEnosysAndItsAarch64NumberDoesNotLeak()
        {
            Assert.True(RuntimeInformation.ProcessArchitecture == RuntimeArchitecture.X64, "this test runs the x86_64 stubs in its own process");

            int getpid = Tables.Bind(Tables.Real).Syscalls.Single(s => s.Name == "getpid").NumberOn(Model.Architecture.X86_64)!.Value;
            string original = Tables.Test("two-architectures.json");
            string table = original.Replace("\"aarch64\": 500", "\"aarch64\": " + getpid);
            Assert.NotEqual(original, table);
            TableModel model = Tables.Bind(table);
            Assert.Equal(getpid, model.Syscalls.Single(s => s.Name == "only_elsewhere").NumberOn(Model.Architecture.Aarch64));

            Assembly assembly = GeneratedAssembly.Load(table, Driver, "enosys-x86_64");
            nint page = GeneratedAssembly.StubPage(assembly, "Probe.Interop.Both");
            Type driver = assembly.GetType("Probe.Interop.Driver", throwOnError: true)!;

            var results = (nint[])GeneratedAssembly.Invoke(driver, "OnlyElsewhere", 10_000);
            Assert.Equal(new nint[] { -Enosys }, results.Distinct().ToArray());

            // The process mapped the model's x86_64 page, and the missing call's slot has no syscall instruction.
            byte[] expected = StubImage.Bytes(model, Model.Architecture.X86_64);
            byte[] mapped = new byte[expected.Length];
            Marshal.Copy(page, mapped, 0, mapped.Length);
            Assert.Equal(expected, mapped);
            byte[] slot = mapped.AsSpan(Tables.SlotOf(model, "only_elsewhere"), StubLayout.StubSize).ToArray();
            Assert.DoesNotContain(Enumerable.Range(0, slot.Length - 1), i => slot[i] == 0x0F && slot[i + 1] == 0x05);

            // The generated fallback (taken where the page cannot be mapped) gives x86_64 StubPage.Missing, not the
            // aarch64 number, and Missing answers -ENOSYS without a syscall.
            (_, Compilation output) = GeneratorHarness.Run(table);
            string generated = string.Concat(output.SyntaxTrees.Select(t => t.ToString()));
            Assert.Contains("StubPage.Fallback(global::EmbedKv.Runtime.Interop.StubPage.Missing, " + getpid + ", flags,", generated);
            Assert.Equal(-Enosys, StubPage.Fallback(StubPage.Missing, getpid, 0, 0, 0, 0, 0, 0));

            // The calls beside it still reach the kernel as themselves: epoll_wait (232) on no descriptor is EBADF,
            // and openat (257, not aarch64's 56, which is clone on x86_64) with x86_64's O_DIRECTORY on a file is ENOTDIR.
            Assert.Equal((nint)(-9), GeneratedAssembly.Invoke(driver, "EpollWaitOnNoDescriptor"));
            string file = Path.Combine(Path.GetTempPath(), "embedkv-enosys-" + Guid.NewGuid().ToString("N"));
            File.WriteAllText(file, "not a directory");
            try
            {
                Assert.Equal((nint)(-20), GeneratedAssembly.Invoke(driver, "OpenatAsDirectory", file));
            }
            finally
            {
                File.Delete(file);
            }
        }
    }
}
