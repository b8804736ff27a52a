using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Threading.Tasks;

namespace EmbedKv.Client.Tests
{
    /// <summary>
    /// Transient failures against a real server: reads and conditional writes are tried again when the server
    /// is unreachable or answers 503, unconditional writes never (docs/client.md, "Retries").
    /// </summary>
    public sealed class RetryTests : IDisposable
    {
        private const int Cap = 8;
        private readonly ServerFixture _server = new ServerFixture(o => o.Limits.MaxConnections = Cap);

        public void Dispose() => _server.Dispose();

        [Fact]
        public async Task AReadWaitsOutA503AndAnUnconditionalWriteDoesNot()
        {
            EmbedKvClient setup = _server.Client();
            await setup.PutAsync("k", "v");

            List<Socket> holders = HoldEveryConnection();
            try
            {
                EmbedKvClient writer = _server.Client(out CountingHandler writes, Patient);
                EmbedKvException refused = await Assert.ThrowsAsync<EmbedKvException>(() => writer.PutAsync("k", "w"));
                Assert.True(refused.StatusCode is HttpStatusCode.ServiceUnavailable or null, refused.Message); // 503, or the close that follows it
                Assert.Equal(1, writes.Sent);

                EmbedKvClient reader = _server.Client(out CountingHandler reads, Patient);
                Task<KvEntry?> read = reader.GetAsync("k");
                await Task.Delay(500);
                Assert.False(read.IsCompleted, "the read did not meet the cap");
                Release(holders);
                Assert.Equal("v", (await read.WaitAsync(TimeSpan.FromSeconds(20)))!.ValueAsString());
                Assert.True(reads.Sent > 1, "the read was sent once");
            }
            finally
            {
                Release(holders);
            }

            Assert.Equal("v", (await setup.GetAsync("k"))!.ValueAsString());
        }

        [Fact]
        public async Task ReadsAndConditionalWritesWaitOutAServerThatIsNotThereYet()
        {
            EmbedKvClient client = _server.Client(Patient);
            KvWriteResult first = await client.PutAsync("k", "v1");
            _server.Stop();

            EmbedKvClient blind = _server.Client(out CountingHandler blindSends, Patient);
            EmbedKvException unreachable = await Assert.ThrowsAsync<EmbedKvException>(() => blind.PutAsync("k", "blind"));
            Assert.Null(unreachable.StatusCode);
            Assert.Equal(1, blindSends.Sent);

            Task<KvEntry?> read = client.GetAsync("k");
            Task<KvWriteResult> conditional = client.PutAsync("k", "v2", KvCondition.IfVersion(first.Version));
            await Task.Delay(700);
            Assert.False(read.IsCompleted || conditional.IsCompleted, "a request finished while the server was down");
            _server.Start();

            KvWriteResult written = await conditional.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(KvWriteStatus.Replaced, written.Status);
            KvEntry? seen = await read.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(seen!.ValueAsString() is "v1" or "v2");
            Assert.Equal("v2", (await client.GetAsync("k"))!.ValueAsString());
        }

        [Fact]
        public async Task ReadsRunOutOfRetriesWithAClearError()
        {
            EmbedKvClient client = _server.Client(o => o.RetryAttempts = 2);
            _server.Stop();
            EmbedKvException failed = await Assert.ThrowsAsync<EmbedKvException>(() => client.GetAsync("k"));
            Assert.Null(failed.StatusCode);
            Assert.Contains("could not be reached", failed.Reason, StringComparison.Ordinal);
            _server.Start();
        }

        private static void Patient(EmbedKvClientOptions options)
        {
            options.RetryAttempts = 100;
            options.RetryDelay = TimeSpan.FromMilliseconds(50);
            options.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
        }

        private List<Socket> HoldEveryConnection()
        {
            var holders = new List<Socket>();
            for (int i = 0; i < Cap; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.Connect(IPAddress.Loopback, _server.Server.Port);
                holders.Add(socket);
            }

            // The cap counts connections the server has accepted: wait until it has them all.
            System.Threading.SpinWait.SpinUntil(() => _server.Server.OpenConnections >= Cap, TimeSpan.FromSeconds(10));
            return holders;
        }

        private static void Release(List<Socket> holders)
        {
            foreach (Socket socket in holders)
            {
                socket.Dispose();
            }

            holders.Clear();
        }
    }
}
