// Snapshots show which bytes the generator writes for "stubReturn": "jump"; only running them shows
// that those bytes return to the right place with the right result and a balanced stack. So these
// tests compile Tables/jump-ending.json (and the same table with "ret") with the real generator, load
// the assembly into this process, and make real syscalls through its stubs: getpid many times, a
// pipe round trip, and a file written and read at an offset through four-argument calls (which also
// take the mov r10, rcx path, and whose mode argument travels in r10). Both endings, through both
// kinds of function pointer (SuppressGCTransition for non-blocking calls, the GC transition for
// blocking ones), must give the same answers.
using System;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using EmbedKv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Tests
{
    /// <summary>Real syscalls through stubs generated with each <c>stubReturn</c>.</summary>
    [SupportedOSPlatform("linux")]
    public sealed class JumpStubExecutionTests
    {
        // Calls the generated JumpCalls methods; compiled beside the generated code. Every helper
        // throws on a negative kernel result, so the test sees the errno instead of a wrong value.
        private const string Driver = """
            using System;
            using System.Text;

            namespace Probe.Jump
            {
                public static unsafe class Driver
                {
                    public static nint[] Getpids(int count)
                    {
                        var pids = new nint[count];
                        for (int i = 0; i < count; i++)
                        {
                            pids[i] = JumpCalls.Getpid();
                        }

                        return pids;
                    }

                    public static byte[] PipeRoundTrip(byte[] message)
                    {
                        int* fds = stackalloc int[2];
                        Check(JumpCalls.Pipe2(fds, JumpCalls.O_CLOEXEC), "pipe2");
                        try
                        {
                            fixed (byte* p = message)
                            {
                                Check(JumpCalls.Write(fds[1], p, (nuint)message.Length), "write");
                            }

                            var received = new byte[message.Length + 16];
                            nint n;
                            fixed (byte* p = received)
                            {
                                n = Check(JumpCalls.Read(fds[0], p, (nuint)received.Length), "read");
                            }

                            return received.AsSpan(0, (int)n).ToArray();
                        }
                        finally
                        {
                            JumpCalls.Close(fds[0]);
                            JumpCalls.Close(fds[1]);
                        }
                    }

                    public static byte[] FileRoundTrip(string path, byte[] message, long offset, uint mode)
                    {
                        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
                        int fd;
                        fixed (byte* p = name)
                        {
                            fd = (int)Check(JumpCalls.Openat(JumpCalls.AT_FDCWD, p, JumpCalls.O_RDWR | JumpCalls.O_CREAT | JumpCalls.O_CLOEXEC, mode), "openat");
                        }

                        try
                        {
                            fixed (byte* p = message)
                            {
                                Check(JumpCalls.Pwrite64(fd, p, (nuint)message.Length, offset), "pwrite64");
                            }

                            var received = new byte[message.Length];
                            fixed (byte* p = received)
                            {
                                Check(JumpCalls.Pread64(fd, p, (nuint)received.Length, offset), "pread64");
                            }

                            return received;
                        }
                        finally
                        {
                            Check(JumpCalls.Close(fd), "close");
                        }
                    }

                    private static nint Check(nint result, string call)
                        => result < 0 && result >= -4095 ? throw new InvalidOperationException(call + " failed: errno " + (-result)) : result;
                }
            }
            """;

        public static TheoryData<string> Endings => new TheoryData<string> { "jump", "ret" };

        [Theory]
        [MemberData(nameof(Endings))]
        public void StubsReturnTheKernelsResults(string ending)
        {
            Type driver = Load(ending, out nint page);

            // The page really holds stubs with this ending: getpid is the first stub.
            byte[] firstStub = new byte[16];
            Marshal.Copy(page, firstStub, 0, firstStub.Length);
            byte[] expected = ending == "jump"
                ? new byte[] { 0xB8, 0x27, 0, 0, 0, 0x0F, 0x05, 0x59, 0xFF, 0xE1, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC }
                : new byte[] { 0xB8, 0x27, 0, 0, 0, 0x0F, 0x05, 0xC3, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC };
            Assert.Equal(expected, firstStub);

            // 100,000 calls in a loop: a stub that left the stack unbalanced would crash or corrupt
            // the loop's state long before the end.
            var pids = (nint[])Invoke(driver, "Getpids", 100_000);
            Assert.Equal(new nint[] { Environment.ProcessId }, pids.Distinct().ToArray());

            byte[] message = System.Text.Encoding.ASCII.GetBytes("through a stub that ends with " + ending);
            Assert.Equal(message, (byte[])Invoke(driver, "PipeRoundTrip", message));

            string path = Path.Combine(Path.GetTempPath(), "embedkv-stub-" + ending + "-" + Guid.NewGuid().ToString("N"));
            try
            {
                // Mode 0640 is unchanged by the usual umasks (022, 002), so it shows that openat's fourth
                // argument reached the kernel (in r10) intact.
                const uint Mode = 0x1A0; // 0640
                Assert.Equal(message, (byte[])Invoke(driver, "FileRoundTrip", path, message, 4096L, Mode));
                Assert.Equal(4096 + message.Length, new FileInfo(path).Length);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(path));
            }
            finally
            {
                File.Delete(path);
            }
        }

        /// <summary>Generates and compiles the table with the given ending, loads it, and returns its Driver and stub page.</summary>
        private static Type Load(string ending, out nint page)
        {
            string table = Tables.Test("jump-ending.json")
                .Replace("\"stubReturn\": \"jump\"", "\"stubReturn\": \"" + ending + "\"");

            // A context of its own per ending: both assemblies are named Consumer.
            Assembly assembly = GeneratedAssembly.Load(table, Driver, "stubReturn-" + ending);
            page = GeneratedAssembly.StubPage(assembly, "Probe.Jump.JumpCalls");
            return assembly.GetType("Probe.Jump.Driver", throwOnError: true)!;
        }

        private static object Invoke(Type driver, string method, params object[] arguments)
            => GeneratedAssembly.Invoke(driver, method, arguments);
    }
}
