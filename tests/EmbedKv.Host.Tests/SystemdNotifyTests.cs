using System;
using System.Collections.Generic;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>
    /// systemd readiness: with $NOTIFY_SOCKET (here a datagram socket of the test's own, as systemd would
    /// hold it) the host sends READY=1 once it serves and STOPPING=1 when a signal begins its stop; a socket
    /// nobody holds is a warning, and without the variable the host is as it was.
    /// </summary>
    public sealed class SystemdNotifyTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task ReadyArrivesWhenTheHostServesAndStoppingWhenSigtermBeginsItsStop()
        {
            string notify = Path.Combine(_dir.Path, "notify");
            using Socket systemd = Receiver(notify);
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0" }, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify });

            string ready = Receive(systemd, host);
            StartupLine line = host.WaitForListening();
            Assert.Equal("READY=1\nSTATUS=Listening on " + line.BaseAddress, ready);

            // Sent after the listeners were open: whoever systemd starts next finds the port answering.
            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "k", "v"));
            }

            Assert.Equal(0, systemd.Available); // one READY=1, nothing more while serving
            host.Signal("TERM");
            Assert.Equal("STOPPING=1\nSTATUS=Stopping", Receive(systemd, host));
            Assert.True(host.WaitForExit() == 0, host.Describe());
            Assert.Equal("EmbedKv stopped", host.Stdout[^1]);
            Assert.Empty(host.Stderr);
            Assert.Equal(0, systemd.Available);
        }

        [Fact]
        public void AnAbstractNotifySocketIsReachedToo()
        {
            string name = "embedkv-host-notify-" + Guid.NewGuid().ToString("N");
            using Socket systemd = Receiver("\0" + name); // .NET's spelling of the abstract name systemd writes as '@'
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0" }, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = "@" + name });
            Assert.StartsWith("READY=1\n", Receive(systemd, host), StringComparison.Ordinal);
            host.Signal("INT");
            Assert.StartsWith("STOPPING=1\n", Receive(systemd, host), StringComparison.Ordinal);
            Assert.True(host.WaitForExit() == 0, host.Describe());
            Assert.Empty(host.Stderr);
        }

        [Fact]
        public async Task ANotifySocketNobodyHoldsIsAWarningAndTheHostServesAnyway()
        {
            string notify = Path.Combine(_dir.Path, "nobody");
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0" }, new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notify });
            StartupLine line = host.WaitForListening();
            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "k", "v"));
            }

            host.Signal("TERM");
            Assert.True(host.WaitForExit() == 0, host.Describe());
            Assert.Equal(2, host.Stderr.Count);
            Assert.Contains("Could not notify systemd (READY=1) through NOTIFY_SOCKET=" + notify + ": sendto unix:" + notify + ": ENOENT", string.Join("\n", host.Stderr), StringComparison.Ordinal);
            Assert.Contains("Could not notify systemd (STOPPING=1)", host.Stderr[1], StringComparison.Ordinal);
        }

        [Fact]
        public async Task WithoutNotifySocketTheHostSaysNothingMore()
        {
            // The test runner's own NOTIFY_SOCKET (under a systemd unit) must not reach the host: empty is unset.
            var environment = Environment.GetEnvironmentVariable("NOTIFY_SOCKET") is null
                ? new Dictionary<string, string>()
                : new Dictionary<string, string> { ["NOTIFY_SOCKET"] = string.Empty };
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0" }, environment);
            StartupLine line = host.WaitForListening();
            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "k", "v"));
            }

            host.Signal("TERM");
            Assert.True(host.WaitForExit() == 0, host.Describe());
            Assert.Equal(new[] { line.Text, "EmbedKv stopped" }, host.Stdout);
            Assert.Empty(host.Stderr);
        }

        private static Socket Receiver(string address)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified)
            {
                ReceiveTimeout = (int)HostProcess.Patience.TotalMilliseconds,
            };
            socket.Bind(new UnixDomainSocketEndPoint(address));
            return socket;
        }

        private static string Receive(Socket socket, HostProcess host)
        {
            var buffer = new byte[4096];
            try
            {
                int n = socket.Receive(buffer);
                return Encoding.UTF8.GetString(buffer, 0, n);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                Assert.Fail("no notification within " + HostProcess.Patience.TotalSeconds + " s: " + host.Describe());
                throw;
            }
        }
    }
}
