using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>The standalone host's life: signals stop it cleanly and keep the data; startup failures exit 1 with one clear line.</summary>
    public sealed class HostLifecycleTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task SigtermStopsWithExitCode0AndTheDataIsThereAfterARestart()
        {
            using (HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0" }))
            {
                StartupLine line = host.WaitForListening();
                using (HttpClient client = Net.Client(line.BaseAddress))
                {
                    Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "greeting", "hello"));
                }

                host.Signal("TERM");
                Assert.True(host.WaitForExit() == 0, host.Describe());
                Assert.Equal("EmbedKv stopped", host.Stdout[^1]);
                Assert.Empty(host.Stderr);
            }

            using (HostProcess again = HostProcess.Start(_dir.Path, new[] { "--port", "0" }))
            {
                StartupLine line = again.WaitForListening();
                Assert.Equal(1, line.KeysRecovered);
                Assert.EndsWith(", 1 keys recovered)", line.Text, StringComparison.Ordinal);
                using (HttpClient client = Net.Client(line.BaseAddress))
                {
                    Assert.Equal((HttpStatusCode.OK, "hello"), await Net.GetAsync(client, "greeting"));
                }

                again.Signal("TERM");
                Assert.True(again.WaitForExit() == 0, again.Describe());
            }
        }

        [Fact]
        public void SigintLetsARequestInFlightFinishThenExitsWith0()
        {
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0", "--durability", "none" });
            StartupLine line = host.WaitForListening();

            // A PUT whose body is half sent when SIGINT arrives, and an idle keep-alive connection.
            using var upload = Connect(line.Port);
            upload.Send(Encoding.ASCII.GetBytes("PUT /late HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n01234"));
            using var idle = Connect(line.Port);
            idle.Send(Encoding.ASCII.GetBytes("GET /late HTTP/1.1\r\nHost: t\r\n\r\n"));
            Assert.StartsWith("HTTP/1.1 404 ", ReadToEnd(idle, untilHeadEnd: true), StringComparison.Ordinal);
            host.Signal("INT");

            // Stopping closes idle connections at once: that says the host has begun to stop. Then the
            // request in flight is finished, and must still be answered and stored.
            Assert.Equal(string.Empty, ReadToEnd(idle)); // nothing more, then the end of the stream
            Assert.DoesNotContain("EmbedKv stopped", host.Stdout);
            upload.Send(Encoding.ASCII.GetBytes("56789"));
            string answer = ReadToEnd(upload);
            Assert.StartsWith("HTTP/1.1 201 ", answer, StringComparison.Ordinal);

            Assert.True(host.WaitForExit() == 0, host.Describe());
            Assert.Equal("EmbedKv stopped", host.Stdout[^1]);
            Assert.Empty(host.Stderr);
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = line.DataDirectory });
            Assert.Equal("0123456789"u8.ToArray(), store.Get("late"u8.ToArray()));
        }

        [Fact]
        public async Task ASecondHostOnTheSameDataDirectoryFailsAndTheFirstKeepsServing()
        {
            string data = Path.Combine(_dir.Path, "shared");
            string firstWork = Directory.CreateDirectory(Path.Combine(_dir.Path, "first")).FullName;
            string secondWork = Directory.CreateDirectory(Path.Combine(_dir.Path, "second")).FullName;
            using HostProcess first = HostProcess.Start(firstWork, new[] { "--port", "0", "--data", data });
            StartupLine line = first.WaitForListening();

            using (HostProcess second = HostProcess.Run(secondWork, new[] { "--port", "0", "--data", data }))
            {
                Assert.True(second.WaitForExit() == 1, second.Describe());
                Assert.Empty(second.Stdout);
                string error = Assert.Single(second.Stderr);
                Assert.StartsWith("embedkv: cannot start: ", error, StringComparison.Ordinal);
                Assert.Contains(data, error, StringComparison.Ordinal);
                Assert.Contains("locked", error, StringComparison.Ordinal);
            }

            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "still", "here"));
                Assert.Equal((HttpStatusCode.OK, "here"), await Net.GetAsync(client, "still"));
            }

            first.Signal("TERM");
            Assert.True(first.WaitForExit() == 0, first.Describe());
        }

        [Fact]
        public void APortInUseExitsWith1NamingEaddrinuseAndLeavesTheDataDirectoryFree()
        {
            using Socket held = Net.Hold(0)!;
            int port = Net.PortOf(held);
            using (HostProcess host = HostProcess.Run(_dir.Path, new[] { "--port", port.ToString(CultureInfo.InvariantCulture) }))
            {
                Assert.True(host.WaitForExit() == 1, host.Describe());
                Assert.Empty(host.Stdout);
                string error = Assert.Single(host.Stderr);
                Assert.StartsWith("embedkv: cannot start: ", error, StringComparison.Ordinal);
                Assert.Contains("127.0.0.1:" + port, error, StringComparison.Ordinal);
                Assert.Contains("EADDRINUSE", error, StringComparison.Ordinal);
            }

            // The failed start let go of the data directory it had opened: the next host takes it.
            using (HostProcess next = HostProcess.Start(_dir.Path, new[] { "--port", "0" }))
            {
                next.WaitForListening();
                next.Signal("TERM");
                Assert.True(next.WaitForExit() == 0, next.Describe());
            }
        }

        [Fact]
        public async Task TheForcedSyscallFallbackServesThroughLibc()
        {
            // EMBEDKVRT_SYSCALL_FALLBACK=1 (README: forces libc's syscall() instead of the stubs) is the runtime's,
            // not a setting, and its prefix is not the settings' EMBEDKV_: the host runs through the fallback
            // and says so once.
            var environment = new Dictionary<string, string> { ["EMBEDKVRT_SYSCALL_FALLBACK"] = "1" };
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0" }, environment);
            StartupLine line = host.WaitForListening();
            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "k", "through libc"));
                Assert.Equal((HttpStatusCode.OK, "through libc"), await Net.GetAsync(client, "k"));
            }

            host.Signal("TERM");
            Assert.True(host.WaitForExit() == 0, host.Describe());
            string warning = Assert.Single(host.Stderr);
            Assert.Contains("libc's syscall()", warning, StringComparison.Ordinal);
        }

        private static Socket Connect(int port)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 30_000 };
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return socket;
        }

        /// <summary>Reads until the end of the stream (or, with <paramref name="untilHeadEnd"/>, to the end of a response head and its short body).</summary>
        private static string ReadToEnd(Socket socket, bool untilHeadEnd = false)
        {
            var received = new StringBuilder();
            var buffer = new byte[4096];
            int read;
            while ((read = socket.Receive(buffer)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
                string text = received.ToString();
                int head = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
                if (untilHeadEnd && head >= 0 && text.Length >= head + 4 + ContentLength(text.Substring(0, head)))
                {
                    break;
                }
            }

            return received.ToString();
        }

        private static int ContentLength(string head)
        {
            foreach (string header in head.Split("\r\n"))
            {
                if (header.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    return int.Parse(header.AsSpan("Content-Length:".Length), NumberStyles.AllowLeadingWhite | NumberStyles.AllowTrailingWhite, CultureInfo.InvariantCulture);
                }
            }

            return 0;
        }
    }
}
