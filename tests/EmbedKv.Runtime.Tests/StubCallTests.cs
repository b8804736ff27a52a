using System;
using System.Buffers.Binary;
using System.IO;
using System.Text;
using System.Threading;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>Real syscalls through the generated stubs, checked against what .NET and the kernel say.</summary>
    public sealed unsafe class StubCallTests
    {
        [Fact]
        public void GetpidIsTheProcessId()
        {
            Assert.Equal(Environment.ProcessId, (int)Sys.Getpid());
            Assert.Equal(StubMode.MachineCode, StubPage.Mode);
        }

        [Fact]
        public void GettidDiffersBetweenThreads()
        {
            nint main = Sys.Gettid();
            nint other = 0;
            var thread = new Thread(() => other = Sys.Gettid());
            thread.Start();
            thread.Join();
            Assert.True(main > 0 && other > 0 && main != other);
        }

        [Fact]
        public void PipeRoundTrip()
        {
            int* fds = stackalloc int[2];
            Syscall.Check(Sys.Pipe2(fds, Sys.O_CLOEXEC), "pipe2");
            using var reader = new FileDescriptor(fds[0]);
            using var writer = new FileDescriptor(fds[1]);

            byte[] message = Encoding.ASCII.GetBytes("through the stub page");
            fixed (byte* p = message)
            {
                Assert.Equal(message.Length, (int)Sys.Write(writer.Value, p, (nuint)message.Length));
            }

            byte[] received = new byte[64];
            nint n;
            fixed (byte* p = received)
            {
                n = Syscall.Check(Sys.Read(reader.Value, p, (nuint)received.Length), "read");
            }

            Assert.Equal(message, received.AsSpan(0, (int)n).ToArray());
        }

        [Fact]
        public void SocketBoundToLoopbackPortZeroGetsAPort()
        {
            using FileDescriptor socket = FileDescriptor.FromResult(
                Sys.Socket(Sys.AF_INET, Sys.SOCK_STREAM | Sys.SOCK_CLOEXEC, 0), "socket");
            var address = new SockAddrIn
            {
                Family = Sys.AF_INET,
                Port = 0,
                Addr = BinaryPrimitives.ReverseEndianness(0x7F000001u), // 127.0.0.1 in network order
            };
            Syscall.Check(Sys.Bind(socket.Value, (SockAddr*)&address, (uint)sizeof(SockAddrIn)), "bind", "127.0.0.1:0");

            SockAddrIn bound = default;
            uint length = (uint)sizeof(SockAddrIn);
            Syscall.Check(Sys.Getsockname(socket.Value, (SockAddr*)&bound, &length), "getsockname");

            Assert.Equal(Sys.AF_INET, bound.Family);
            Assert.Equal(0x7F000001u, BinaryPrimitives.ReverseEndianness(bound.Addr));
            Assert.NotEqual(0, BinaryPrimitives.ReverseEndianness(bound.Port));
        }

        [Fact]
        public void ClosingMinusOneIsEbadf()
        {
            nint result = Sys.Close(-1);
            Assert.True(Syscall.IsError(result));
            Errno errno = Errno.FromResult(result);
            Assert.Equal(Sys.EBADF, errno.Value);
            Assert.Equal("EBADF", errno.Name);
            Assert.Equal("Bad file descriptor", errno.Message);

            var error = Assert.Throws<SyscallException>(() => Syscall.Check(result, "close", "-1"));
            Assert.Equal("close -1: EBADF (Bad file descriptor)", error.Message);
        }

        [Fact]
        public void PwriteThenPreadReturnsTheBytes()
        {
            string path = Path.Combine(Path.GetTempPath(), "embedkv-stub-" + Guid.NewGuid().ToString("N"));
            byte[] pathZ = Encoding.UTF8.GetBytes(path + "\0");
            try
            {
                FileDescriptor file;
                fixed (byte* p = pathZ)
                {
                    file = FileDescriptor.FromResult(
                        Sys.Openat(Sys.AT_FDCWD, p, Sys.O_RDWR | Sys.O_CREAT | Sys.O_EXCL | Sys.O_CLOEXEC, 0x180), "openat", path);
                }

                using (file)
                {
                    byte[] data = new byte[4096 + 17];
                    new Random(7).NextBytes(data);
                    fixed (byte* p = data)
                    {
                        Assert.Equal(data.Length, (int)Sys.Pwrite64(file.Value, p, (nuint)data.Length, 100));
                    }

                    byte[] back = new byte[data.Length];
                    fixed (byte* p = back)
                    {
                        Assert.Equal(back.Length, (int)Sys.Pread64(file.Value, p, (nuint)back.Length, 100));
                    }

                    Assert.Equal(data, back);

                    // Five arguments: the fourth travels in r10, the fifth in r8.
                    Statx statx;
                    fixed (byte* empty = "\0"u8)
                    {
                        Syscall.Check(Sys.Statx(file.Value, empty, Sys.AT_EMPTY_PATH, Sys.STATX_TYPE | Sys.STATX_SIZE, &statx), "statx");
                    }

                    Assert.Equal(Sys.STATX_TYPE | Sys.STATX_SIZE, statx.Mask & (Sys.STATX_TYPE | Sys.STATX_SIZE));
                    Assert.Equal(Sys.S_IFREG, statx.Mode & Sys.S_IFMT);
                    Assert.Equal((ulong)(100 + data.Length), statx.Size);
                    Assert.Equal(new FileInfo(path).Length, (long)statx.Size);
                }
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
