using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
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

        /// <summary>
        /// Opens connections until the server refuses one with its 503: then the cap is full, whatever else
        /// (a client's pooled keep-alive connection) holds a place, and every new connection is refused.
        /// </summary>
        private List<Socket> HoldEveryConnection()
        {
            var holders = new List<Socket>();
            for (int i = 0; i < Cap * 2; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 10_000 };
                int open = _server.Server.OpenConnections;
                socket.Connect(IPAddress.Loopback, _server.Server.Port);
                System.Threading.SpinWait.SpinUntil(() => _server.Server.OpenConnections > open || socket.Poll(0, SelectMode.SelectRead), TimeSpan.FromSeconds(10));
                if (socket.Poll(0, SelectMode.SelectRead))
                {
                    // Refused: the 503 is waiting to be read.
                    byte[] answer = new byte[64];
                    int read = socket.Receive(answer);
                    socket.Dispose();
                    Assert.StartsWith("HTTP/1.1 503", System.Text.Encoding.ASCII.GetString(answer, 0, read), StringComparison.Ordinal);
                    return holders;
                }

                holders.Add(socket);
            }

            Release(holders);
            throw new InvalidOperationException("the server never refused a connection past its cap of " + Cap);
        }

        private static void Release(List<Socket> holders)
        {
            foreach (Socket socket in holders)
            {
                socket.Dispose();
            }

            holders.Clear();
        }

        [Fact]
        public async Task AConditionalWriteWhoseAnswerWasLostIsNeitherMisreportedNorAppliedTwice()
        {
            // Found in review: a proxy that forwarded the write, then lost its answer and said 503. The retry met
            // the write's own version and got 412: PutAsync said nothing was written, UpdateAsync applied twice.
            EmbedKvClient setup = _server.Client();
            KvWriteResult old = await setup.PutAsync("cas", "old");
            EmbedKvClient client = new EmbedKvClient(new HttpClient(new LosesFirstPutAnswer()), new EmbedKvClientOptions { BaseAddress = _server.BaseAddress, RetryDelay = TimeSpan.FromMilliseconds(10) });
            EmbedKvException unknown = await Assert.ThrowsAsync<EmbedKvException>(() => client.PutAsync("cas", "new", KvCondition.IfVersion(old.Version)));
            Assert.Null(unknown.StatusCode);
            Assert.Contains("unknown whether the write happened", unknown.Reason, StringComparison.Ordinal);
            Assert.Equal("new", (await setup.GetAsync("cas"))!.ValueAsString());

            await setup.PutAsync("counter", "0");
            EmbedKvClient updater = new EmbedKvClient(new HttpClient(new LosesFirstPutAnswer()), new EmbedKvClientOptions { BaseAddress = _server.BaseAddress, RetryDelay = TimeSpan.FromMilliseconds(10) });
            await Assert.ThrowsAsync<EmbedKvException>(() => updater.UpdateAsync("counter", current => Encoding.ASCII.GetBytes((int.Parse(current!.ValueAsString(), CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture))));
            Assert.Equal("1", (await setup.GetAsync("counter"))!.ValueAsString());
        }

        /// <summary>Forwards every request; the first PUT's real answer is dropped and replaced by 503, as an intermediary would after an upstream reset.</summary>
        private sealed class LosesFirstPutAnswer : DelegatingHandler
        {
            private int _puts;

            public LosesFirstPutAnswer()
                : base(new SocketsHttpHandler())
            {
            }

            protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, System.Threading.CancellationToken cancellationToken)
            {
                HttpResponseMessage real = await base.SendAsync(request, cancellationToken);
                if (request.Method == HttpMethod.Put && System.Threading.Interlocked.Increment(ref _puts) == 1)
                {
                    real.Dispose();
                    return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request, Content = new StringContent("upstream connect error or disconnect/reset before headers\n") };
                }

                return real;
            }
        }
    }
}
