using System;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using EmbedKv.Runtime.Events;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Net;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>Listening, accepting, sending, sendfile, epoll and eventfd on real loopback sockets.</summary>
    public sealed class NetTests
    {
        [Theory]
        [InlineData("127.0.0.1", "127.0.0.1:")]
        [InlineData("::1", "[::1]:")]
        public void ListenerBindsLoopbackAndReportsItsPort(string address, string prefix)
        {
            using FileDescriptor listener = ListeningSocket.Open(InetEndpoint.Parse(address, 0));
            InetEndpoint bound = InetEndpoint.LocalOf(listener.Value);
            Assert.NotEqual(0, bound.Port);
            Assert.Equal(prefix + bound.Port, bound.ToString());
        }

        [Fact]
        public void BindingABusyPortNamesTheCallAddressAndErrno()
        {
            using FileDescriptor first = ListeningSocket.Open(InetEndpoint.Parse("127.0.0.1", 0));
            int port = InetEndpoint.LocalOf(first.Value).Port;
            var error = Assert.Throws<SyscallException>(() => ListeningSocket.Open(InetEndpoint.Parse("127.0.0.1", port)));
            Assert.Equal("bind 127.0.0.1:" + port + ": EADDRINUSE (Address already in use)", error.Message);
        }

        [Fact]
        public void ReusePortLetsTwoListenersShareAPort()
        {
            using FileDescriptor first = ListeningSocket.Open(InetEndpoint.Parse("127.0.0.1", 0), reusePort: true);
            int port = InetEndpoint.LocalOf(first.Value).Port;
            using FileDescriptor second = ListeningSocket.Open(InetEndpoint.Parse("127.0.0.1", port), reusePort: true);
            Assert.Equal(port, InetEndpoint.LocalOf(second.Value).Port);
        }

        [Fact]
        public void AcceptReceiveSendAndSendFileOverLoopback()
        {
            using FileDescriptor listener = ListeningSocket.Open(InetEndpoint.Parse("127.0.0.1", 0));
            int port = InetEndpoint.LocalOf(listener.Value).Port;
            Assert.Equal(-Sys.EAGAIN, SocketOps.Accept(listener.Value)); // non-blocking: nobody yet

            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            int fd = AcceptWithin(listener.Value, TimeSpan.FromSeconds(5));
            try
            {
                Assert.Equal(1, NoDelayOf(fd)); // inherited from the listener
                Assert.Equal(0, (int)SocketOps.SetNoDelay(fd));
                client.GetStream().Write(Encoding.ASCII.GetBytes("ping"));
                Span<byte> buffer = stackalloc byte[16];
                nint n = ReceiveWithin(fd, buffer, TimeSpan.FromSeconds(5));
                Assert.Equal("ping", Encoding.ASCII.GetString(buffer.Slice(0, (int)n)));

                Assert.Equal(4, (int)SocketOps.Send(fd, Encoding.ASCII.GetBytes("pong")));
                string path = Path.GetTempFileName();
                try
                {
                    File.WriteAllText(path, "0123456789");
                    using FileHandle file = FileHandle.Open(path, FileMode.Open, writable: false);
                    long offset = 3;
                    Assert.Equal(4, (int)SocketOps.SendFile(fd, file.Descriptor.Value, ref offset, 4));
                    Assert.Equal(7, offset);
                }
                finally
                {
                    File.Delete(path);
                }

                byte[] received = new byte[8];
                int total = 0;
                while (total < 8)
                {
                    total += client.GetStream().Read(received, total, 8 - total);
                }

                Assert.Equal("pong3456", Encoding.ASCII.GetString(received));
                Assert.Equal(0, (int)SocketOps.Shutdown(fd, Sys.SHUT_WR));
                Assert.Equal(0, client.GetStream().Read(received, 0, 1)); // the peer sees end of stream
            }
            finally
            {
                SocketOps.Close(fd);
            }
        }

        [Fact]
        public void SendToAClosedPeerIsEpipeNotSigpipe()
        {
            using FileDescriptor listener = ListeningSocket.Open(InetEndpoint.Parse("127.0.0.1", 0));
            var client = new TcpClient();
            client.Connect(IPAddress.Loopback, InetEndpoint.LocalOf(listener.Value).Port);
            int fd = AcceptWithin(listener.Value, TimeSpan.FromSeconds(5));
            client.Client.LingerState = new LingerOption(true, 0); // close with RST
            client.Dispose();
            Thread.Sleep(50);
            nint result = 0;
            for (int i = 0; i < 100 && result >= 0; i++)
            {
                result = SocketOps.Send(fd, new byte[1024]);
            }

            Assert.True(result == -Sys.EPIPE || result == -Sys.ECONNRESET, "send returned " + result);
            SocketOps.Close(fd);
        }

        [Fact]
        public void EpollWakesOnEventFdAndTimesOut()
        {
            using Epoll epoll = Epoll.Create();
            using EventFd wake = EventFd.Create();
            Assert.Equal(0, (int)epoll.Add(wake.Descriptor, Sys.EPOLLIN, 7));
            Span<EpollEvent> events = stackalloc EpollEvent[4];
            Assert.Equal(0, epoll.Wait(events, 10));

            var signaller = new Thread(() => { Thread.Sleep(50); wake.Signal(); wake.Signal(); });
            signaller.Start();
            int ready = epoll.Wait(events, 5000);
            signaller.Join();
            Assert.Equal(1, ready);
            Assert.Equal(7ul, events[0].Data);
            Assert.Equal(2ul, wake.Drain());
            Assert.Equal(0ul, wake.Drain());
            Assert.Equal(0, (int)epoll.Remove(wake.Descriptor));
            Assert.Equal(-Sys.ENOENT, (int)epoll.Remove(wake.Descriptor));
        }

        [Fact]
        public unsafe void ConnectionCallsAllocateNothing()
        {
            // The event loop's per-request calls, each through the EINTR retry's static lambda.
            int* fds = stackalloc int[2];
            Syscall.Check(Sys.Socketpair(Sys.AF_UNIX, Sys.SOCK_STREAM | Sys.SOCK_NONBLOCK | Sys.SOCK_CLOEXEC, 0, fds), "socketpair");
            using var left = new FileDescriptor(fds[0]);
            using var right = new FileDescriptor(fds[1]);
            using EventFd wake = EventFd.Create();
            Span<byte> data = stackalloc byte[64];
            data.Fill(0x5A);
            Span<byte> received = stackalloc byte[64];

            int failed = 0;
            for (int i = 0; i < 200; i++)
            {
                failed += Exchange(left.Value, right.Value, wake, data, received) ? 0 : 1;
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                failed += Exchange(left.Value, right.Value, wake, data, received) ? 0 : 1;
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, failed);
            Assert.Equal(0, allocated);
        }

        // Plain comparisons, not asserts, so the measured loop runs nothing but the calls.
        private static bool Exchange(int sender, int receiver, EventFd wake, ReadOnlySpan<byte> data, Span<byte> received)
        {
            bool ok = SocketOps.Send(sender, data) == data.Length
                && SocketOps.Receive(receiver, received) == data.Length
                && SocketOps.Receive(receiver, received) == -Sys.EAGAIN
                && SocketOps.Accept(receiver) == -Sys.EINVAL;
            wake.Signal();
            return ok && wake.Drain() == 1;
        }

        private static unsafe int NoDelayOf(int fd)
        {
            int value = 0;
            uint length = sizeof(int);
            Syscall.Check(Sys.Getsockopt(fd, Sys.IPPROTO_TCP, Sys.TCP_NODELAY, &value, &length), "getsockopt");
            return value;
        }

        private static int AcceptWithin(int listener, TimeSpan timeout)
        {
            DateTime end = DateTime.UtcNow + timeout;
            while (true)
            {
                int fd = SocketOps.Accept(listener);
                if (fd >= 0 || fd != -Sys.EAGAIN || DateTime.UtcNow > end)
                {
                    Assert.True(fd >= 0, "accept4 returned " + fd);
                    return fd;
                }

                Thread.Sleep(5);
            }
        }

        private static nint ReceiveWithin(int fd, Span<byte> buffer, TimeSpan timeout)
        {
            DateTime end = DateTime.UtcNow + timeout;
            while (true)
            {
                nint n = SocketOps.Receive(fd, buffer);
                if (n != -Sys.EAGAIN || DateTime.UtcNow > end)
                {
                    Assert.True(n > 0, "recv returned " + n);
                    return n;
                }

                Thread.Sleep(5);
            }
        }
    }
}
