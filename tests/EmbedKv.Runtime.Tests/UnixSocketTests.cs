using System;
using System.IO;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Net;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>Unix domain sockets on real files in a temporary directory: listening, replacing what a crash left, refusing what is not ours, removal, datagrams.</summary>
    public sealed class UnixSocketTests : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("embedkv-unix-");

        public void Dispose() => _dir.Delete(recursive: true);

        [Fact]
        public void AcceptReceiveSendAndSendFileThroughAUnixListener()
        {
            string path = PathIn("kv.sock");
            using UnixListener listener = UnixListeningSocket.Open(path);
            Assert.Equal("unix:" + path, listener.ToString());
            Assert.Equal(-Sys.EAGAIN, SocketOps.Accept(listener.Descriptor.Value)); // non-blocking: nobody yet

            using Socket client = Connect(path);
            int fd = AcceptWithin(listener.Descriptor.Value);
            try
            {
                // The event loop's accept passes no address buffer; a Unix peer needs none either. TCP_NODELAY
                // is a TCP option: the loop must not set it on a Unix connection.
                Assert.Equal(-Sys.EOPNOTSUPP, (int)SocketOps.SetNoDelay(fd));
                client.Send("ping"u8);
                Span<byte> buffer = stackalloc byte[16];
                nint n = ReceiveWithin(fd, buffer);
                Assert.Equal("ping", Encoding.ASCII.GetString(buffer.Slice(0, (int)n)));

                // MSG_MORE (the head before a sendfile'd body) and sendfile work on a Unix stream as on TCP.
                Assert.Equal(4, (int)SocketOps.Send(fd, "pong"u8, more: true));
                string file = PathIn("value");
                File.WriteAllText(file, "0123456789");
                using (FileHandle value = FileHandle.Open(file, FileMode.Open, writable: false))
                {
                    long offset = 3;
                    Assert.Equal(4, (int)SocketOps.SendFile(fd, value.Descriptor.Value, ref offset, 4));
                }

                Assert.Equal(0, (int)SocketOps.Shutdown(fd, Sys.SHUT_WR));
                Assert.Equal("pong3456", ReadToEnd(client));
            }
            finally
            {
                SocketOps.Close(fd);
            }
        }

        [Fact]
        public void AStaleSocketLeftByACrashIsReplaced()
        {
            string path = PathIn("kv.sock");
            UnixListener crashed = UnixListeningSocket.Open(path);
            crashed.Descriptor.Dispose(); // closed without removing its file, as kill -9 leaves it
            FileStatus stale = StatOf(path);
            Assert.Equal(-Sys.ECONNREFUSED, (int)UnixListeningSocket.Probe(UnixEndpoint.Parse(path)));

            using UnixListener listener = UnixListeningSocket.Open(path);
            FileStatus now = StatOf(path);
            Assert.True(
                !now.IsSameFile(stale) || now.ChangeTimeNanoseconds != stale.ChangeTimeNanoseconds || now.ChangeTimeSeconds != stale.ChangeTimeSeconds,
                "the stale file is still there");
            using Socket client = Connect(path);
            SocketOps.Close(AcceptWithin(listener.Descriptor.Value));
        }

        [Fact]
        public void ALiveServersSocketIsRefusedAndKeepsServing()
        {
            string path = PathIn("kv.sock");
            using var held = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            held.Bind(new UnixDomainSocketEndPoint(path));
            held.Listen();
            ulong inode = StatOf(path).Inode;

            var error = Assert.Throws<SyscallException>(() => UnixListeningSocket.Open(path));
            Assert.Equal("bind unix:" + path + " (another server is listening there): EADDRINUSE (Address already in use)", error.Message);
            Assert.Equal(Sys.EADDRINUSE, error.Errno.Value);

            Assert.Equal(inode, StatOf(path).Inode);
            using Socket client = Connect(path);
            using Socket accepted = held.Accept();
        }

        [Fact]
        public void ARegularFileDirectoryOrSymlinkAtThePathIsRefusedAndLeftAlone()
        {
            string file = PathIn("data");
            File.WriteAllText(file, "precious");
            var error = Assert.Throws<SyscallException>(() => UnixListeningSocket.Open(file));
            Assert.Equal("bind unix:" + file + " (a regular file is there; only a stale socket is replaced): EADDRINUSE (Address already in use)", error.Message);
            Assert.Equal("precious", File.ReadAllText(file));

            string directory = Directory.CreateDirectory(PathIn("dir")).FullName;
            error = Assert.Throws<SyscallException>(() => UnixListeningSocket.Open(directory));
            Assert.Contains("a directory is there", error.Message, StringComparison.Ordinal);
            Assert.True(Directory.Exists(directory));

            // Even a link to a stale socket: the link is what is at the path, and only a socket is replaced.
            string stalePath = PathIn("stale.sock");
            UnixListeningSocket.Open(stalePath).Descriptor.Dispose();
            string link = PathIn("link.sock");
            File.CreateSymbolicLink(link, stalePath);
            error = Assert.Throws<SyscallException>(() => UnixListeningSocket.Open(link));
            Assert.Contains("a symbolic link is there", error.Message, StringComparison.Ordinal);
            Assert.Equal(stalePath, new FileInfo(link).LinkTarget);
        }

        [Fact]
        public void AMissingDirectoryNamesBindThePathAndEnoent()
        {
            string path = PathIn("absent/kv.sock");
            var error = Assert.Throws<SyscallException>(() => UnixListeningSocket.Open(path));
            Assert.Equal("bind unix:" + path + ": ENOENT (No such file or directory)", error.Message);
        }

        [Fact]
        public void RemoveFileUnlinksOnlyOurOwnSocketAndOnlyOnce()
        {
            string path = PathIn("kv.sock");
            using (UnixListener listener = UnixListeningSocket.Open(path))
            {
                Assert.True(listener.RemoveFile());
                Assert.False(File.Exists(path));
                Assert.False(listener.RemoveFile());
            }

            // Ours, then stopped (closed: stale); a second server replaced it. Ours must not remove theirs.
            UnixListener first = UnixListeningSocket.Open(path);
            first.Descriptor.Dispose();

            // ext4 gives the replacement the inode just freed; the ctime tells them apart, and where the
            // kernel keeps only coarse timestamps (before 6.13), only once a clock tick has passed.
            Thread.Sleep(20);
            using UnixListener second = UnixListeningSocket.Open(path);
            Assert.False(first.RemoveFile());
            first.Dispose();
            Assert.True(File.Exists(path));
            using (Socket client = Connect(path))
            {
                SocketOps.Close(AcceptWithin(second.Descriptor.Value));
            }

            // Someone removed it already: nothing to do, no error.
            File.Delete(path);
            Assert.False(second.RemoveFile());
        }

        [Fact]
        public void DisposeRemovesTheFileAndClosesTheSocket()
        {
            string path = PathIn("kv.sock");
            UnixListener listener = UnixListeningSocket.Open(path);
            listener.Dispose();
            Assert.False(File.Exists(path));
            Assert.True(listener.Descriptor.IsClosed);
        }

        [Fact]
        public void AStoppingListenerRefusesNewClientsAfterShutdownRead()
        {
            // What the event loop does when a stop begins (shutdown(SHUT_RD) on the listener): on a Unix
            // listener, too, new clients are refused at once, so a second server would find it stale.
            string path = PathIn("kv.sock");
            using UnixListener listener = UnixListeningSocket.Open(path);
            Assert.Equal(0, (int)UnixListeningSocket.Probe(listener.Endpoint));
            Assert.Equal(0, (int)SocketOps.Shutdown(listener.Descriptor.Value, Sys.SHUT_RD));
            Assert.Equal(-Sys.ECONNREFUSED, (int)UnixListeningSocket.Probe(listener.Endpoint));
        }

        [Fact]
        public void ThePathMustFitSunPath()
        {
            // 107 bytes fit (with the NUL, sun_path's 108); 108 do not, and the message names the path and the limit.
            string dir = _dir.FullName + "/";
            string fits = dir + new string('s', UnixEndpoint.MaxNameBytes - dir.Length);
            Assert.Equal(107, Encoding.UTF8.GetByteCount(fits));
            using (UnixListener listener = UnixListeningSocket.Open(fits))
            {
                using Socket client = Connect(fits);
                SocketOps.Close(AcceptWithin(listener.Descriptor.Value));
            }

            string tooLong = fits + "s";
            var error = Assert.Throws<ArgumentException>(() => UnixListeningSocket.Open(tooLong));
            Assert.StartsWith("Unix socket path '" + tooLong + "' is 108 bytes long; sockaddr_un holds at most 107 bytes (108 with the terminating NUL).", error.Message, StringComparison.Ordinal);

            // Counted in UTF-8 bytes, not characters.
            string wide = dir + new string('é', 60);
            error = Assert.Throws<ArgumentException>(() => UnixEndpoint.Parse(wide));
            Assert.Contains((dir.Length + 120) + " bytes long", error.Message, StringComparison.Ordinal);

            Assert.Throws<ArgumentException>(() => UnixEndpoint.Parse(string.Empty));
            Assert.Throws<ArgumentException>(() => UnixEndpoint.Parse("@"));
            Assert.Throws<ArgumentException>(() => UnixEndpoint.Parse(dir + "a\0b"));
            Assert.Throws<ArgumentException>(() => UnixEndpoint.Parse("@" + new string('a', 108)));
        }

        [Fact]
        public void AnAbstractNameListensWithoutAFile()
        {
            string name = "embedkv-test-" + Guid.NewGuid().ToString("N");
            using UnixListener listener = UnixListeningSocket.Open("@" + name);
            Assert.True(listener.Endpoint.IsAbstract);
            Assert.Null(listener.File);
            Assert.Equal("unix:@" + name, listener.ToString());

            using Socket client = Connect("\0" + name); // .NET writes the abstract namespace with a leading NUL
            SocketOps.Close(AcceptWithin(listener.Descriptor.Value));

            var error = Assert.Throws<SyscallException>(() => UnixListeningSocket.Open("@" + name));
            Assert.Equal("bind unix:@" + name + ": EADDRINUSE (Address already in use)", error.Message);
            Assert.False(listener.RemoveFile());
        }

        [Fact]
        public void ADatagramReachesATestOwnedSocketAtAPathOrAnAbstractName()
        {
            string path = PathIn("notify");
            using Socket receiver = DatagramSocket(path);
            UnixDatagram.Send(path, "READY=1\nSTATUS=serving"u8);
            Assert.Equal("READY=1\nSTATUS=serving", ReceiveDatagram(receiver));

            string name = "embedkv-notify-" + Guid.NewGuid().ToString("N");
            using Socket abstractReceiver = DatagramSocket("\0" + name);
            UnixDatagram.Send("@" + name, "STOPPING=1"u8);
            Assert.Equal("STOPPING=1", ReceiveDatagram(abstractReceiver));
        }

        [Fact]
        public void ADatagramToNobodyNamesSendtoTheAddressAndErrno()
        {
            string path = PathIn("nobody");
            var error = Assert.Throws<SyscallException>(() => UnixDatagram.Send(path, "READY=1"u8));
            Assert.Equal("sendto unix:" + path + ": ENOENT (No such file or directory)", error.Message);

            // A socket file is there but its socket is closed: refused.
            BindAndClose(path, Sys.SOCK_DGRAM);
            error = Assert.Throws<SyscallException>(() => UnixDatagram.Send(path, "READY=1"u8));
            Assert.Equal("sendto unix:" + path + ": ECONNREFUSED (Connection refused)", error.Message);
        }

        /// <summary>Leaves a socket file nobody listens on: .NET's Socket would delete its file when disposed.</summary>
        private static unsafe void BindAndClose(string path, int type)
        {
            using FileDescriptor socket = FileDescriptor.FromResult(Sys.Socket(Sys.AF_UNIX, type | Sys.SOCK_CLOEXEC, 0), "socket");
            UnixEndpoint endpoint = UnixEndpoint.Parse(path);
            SockAddrUn raw = endpoint.Raw;
            Syscall.Check(Sys.Bind(socket.Value, (SockAddr*)&raw, (uint)endpoint.Length), "bind", path);
        }

        private static Socket DatagramSocket(string address)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { ReceiveTimeout = 10_000 };
            socket.Bind(new UnixDomainSocketEndPoint(address));
            return socket;
        }

        private static string ReceiveDatagram(Socket socket)
        {
            var buffer = new byte[1024];
            int n = socket.Receive(buffer);
            return Encoding.UTF8.GetString(buffer, 0, n);
        }

        private static Socket Connect(string path)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) { ReceiveTimeout = 10_000 };
            socket.Connect(new UnixDomainSocketEndPoint(path));
            return socket;
        }

        private static FileStatus StatOf(string path)
        {
            Syscall.Check(UnixSocketFile.Lstat(path, out FileStatus status), "statx", path);
            return status;
        }

        private static string ReadToEnd(Socket socket)
        {
            var received = new StringBuilder();
            var buffer = new byte[256];
            int n;
            while ((n = socket.Receive(buffer)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }

            return received.ToString();
        }

        private static int AcceptWithin(int listener)
        {
            long end = Environment.TickCount64 + 10_000;
            while (true)
            {
                int fd = SocketOps.Accept(listener);
                if (fd != -Sys.EAGAIN || Environment.TickCount64 > end)
                {
                    Assert.True(fd >= 0, "accept4 returned " + fd);
                    return fd;
                }

                Thread.Sleep(5);
            }
        }

        private static nint ReceiveWithin(int fd, Span<byte> buffer)
        {
            long end = Environment.TickCount64 + 10_000;
            while (true)
            {
                nint n = SocketOps.Receive(fd, buffer);
                if (n != -Sys.EAGAIN || Environment.TickCount64 > end)
                {
                    Assert.True(n > 0, "recvfrom returned " + n);
                    return n;
                }

                Thread.Sleep(5);
            }
        }

        private string PathIn(string name) => Path.Combine(_dir.FullName, name);
    }
}
