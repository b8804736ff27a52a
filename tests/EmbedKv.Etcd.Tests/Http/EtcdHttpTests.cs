using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Infrastructure;

namespace EmbedKv.Etcd.Tests.Http
{
    /// <summary>What is particular to the etcd backend over HTTP (docs/etcd.md, "Limits"): its value limit, an unreachable cluster, what it does not offer.</summary>
    [Collection(EtcdCollection.Name)]
    public sealed class EtcdHttpTests
    {
        private readonly SharedEtcdCluster _etcd;

        public EtcdHttpTests(SharedEtcdCluster etcd) => _etcd = etcd;

        [Fact]
        public async Task A_value_over_etcds_request_limit_is_413_before_its_body_is_sent()
        {
            using ApiServer server = ApiServer.Start("etcd", _etcd.Cluster.ClientUrls);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(IPAddress.Loopback, server.Server.Port);
            string head = "PUT " + server.Path("big") + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2000000\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(head));

            // No byte of the body was sent: the answer comes on the head alone.
            string answer = await ReadAnswer(socket);
            Assert.StartsWith("HTTP/1.1 413 ", answer);
            Assert.Contains("etcd", answer);
            Assert.Contains("1.5 MiB", answer);

            // Just under the limit is stored.
            long limit = new EtcdStoreOptions().MaxValueLength(Encoding.UTF8.GetByteCount(server.Prefix + "big"));
            HttpResponseMessage fits = await server.Client.PutAsync(server.Path("big"), new ByteArrayContent(new byte[limit]));
            Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
            HttpResponseMessage over = await server.Client.PutAsync(server.Path("big"), new ByteArrayContent(new byte[limit + 1]));
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        }

        [Fact]
        public async Task A_cluster_out_of_reach_answers_503_with_retry_after_never_hangs()
        {
            using ApiServer server = ApiServer.Start("etcd", new[] { "http://127.0.0.1:" + Backend.Stores.UnusedPort() }, requestTimeout: TimeSpan.FromSeconds(1));
            var took = Stopwatch.StartNew();
            foreach (HttpRequestMessage request in new[]
            {
                new HttpRequestMessage(HttpMethod.Get, server.Path("k")),
                new HttpRequestMessage(HttpMethod.Put, server.Path("k")) { Content = ApiContractTests.Bytes("v") },
                new HttpRequestMessage(HttpMethod.Delete, server.Path("k")),
                new HttpRequestMessage(HttpMethod.Get, "/"),
            })
            {
                HttpResponseMessage answer = await server.Client.SendAsync(request);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
                Assert.Equal(TimeSpan.FromSeconds(1), answer.Headers.RetryAfter!.Delta);
            }

            Assert.True(took.Elapsed < TimeSpan.FromSeconds(30), "four requests took " + took.Elapsed);
        }

        [Fact]
        public async Task A_client_hanging_up_during_a_long_poll_frees_its_connection_and_its_watch()
        {
            using ApiServer server = ApiServer.Start("etcd", _etcd.Cluster.ClientUrls);
            using (var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                await socket.ConnectAsync(IPAddress.Loopback, server.Server.Port);
                await socket.SendAsync(Encoding.ASCII.GetBytes("GET " + server.Path("polled") + " HTTP/1.1\r\nHost: 127.0.0.1\r\nPrefer: wait=60\r\n\r\n"));
                var waited = Stopwatch.StartNew();
                while (server.Server.OpenConnections == 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
                {
                    await Task.Delay(20);
                }

                await Task.Delay(300);
                Assert.Equal(1, server.Server.OpenConnections);
            }

            // The client closed: the server closes too, long before the 60 s wait would have ended.
            var closed = Stopwatch.StartNew();
            while (server.Server.OpenConnections != 0)
            {
                Assert.True(closed.Elapsed < TimeSpan.FromSeconds(10), "the connection of a client that hung up stayed open through its long-poll");
                await Task.Delay(50);
            }
        }

        [Fact]
        public async Task Checkpoints_are_not_offered_on_etcd()
        {
            using ApiServer server = ApiServer.Start("etcd", _etcd.Cluster.ClientUrls, adminToken: true);
            var request = new HttpRequestMessage(HttpMethod.Post, "/_admin/checkpoint");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", ApiServer.AdminToken);
            HttpResponseMessage answer = await server.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NotImplemented, answer.StatusCode);
            Assert.Contains("etcdctl snapshot save", await answer.Content.ReadAsStringAsync());
        }

        [Fact]
        public async Task Killing_the_leader_loses_no_write_answered_2xx_through_either_instance()
        {
            using EtcdCluster cluster = EtcdCluster.Start(3);
            using ApiServer a = ApiServer.Start("etcd", cluster.ClientUrls, requestTimeout: TimeSpan.FromSeconds(5));
            using ApiServer b = ApiServer.Start("etcd", cluster.ClientUrls.Reverse().ToArray(), a.Prefix, TimeSpan.FromSeconds(5));
            var acknowledged = new ConcurrentDictionary<string, string>();
            var refused = new ConcurrentDictionary<string, string>();
            using var stop = new CancellationTokenSource();
            int next = 0;
            Task[] writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                HttpClient http = (w % 2 == 0 ? a : b).Client;
                while (!stop.IsCancellationRequested)
                {
                    string name = "k" + Interlocked.Increment(ref next).ToString("D6");
                    string value = "writer " + w + " " + name;
                    HttpResponseMessage answer = await ApiContractTests.Send(http, HttpMethod.Put, a.Path(name), value, ("If-None-Match", "*"));
                    if (answer.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged[name] = value;
                    }
                    else if (answer.StatusCode == HttpStatusCode.PreconditionFailed)
                    {
                        refused[name] = value; // only if an earlier attempt of this very write was applied
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
                    }
                }
            })).ToArray();

            // Writes flowing first (on a busy machine the first connections take a while), then the kill.
            var warmup = Stopwatch.StartNew();
            while (acknowledged.Count < 50 && warmup.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20);
            }

            cluster.Kill(cluster.Leader());
            int atKill = acknowledged.Count;
            var failover = Stopwatch.StartNew();
            while (acknowledged.Count < atKill + 200 && failover.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            stop.Cancel();
            await Task.WhenAll(writers);
            Assert.True(atKill > 0, "no write was answered before the kill");
            Assert.True(acknowledged.Count >= atKill + 200, "writes did not resume within 30 s of the kill");
            foreach ((string name, string value) in acknowledged.Concat(refused))
            {
                foreach (ApiServer server in new[] { a, b })
                {
                    // A 503 says nothing of the key (the killed member may still be in a client's rotation): ask again.
                    HttpResponseMessage read = await server.Client.GetAsync(a.Path(name));
                    var retried = Stopwatch.StartNew();
                    while (read.StatusCode == HttpStatusCode.ServiceUnavailable && retried.Elapsed < TimeSpan.FromSeconds(30))
                    {
                        await Task.Delay(100);
                        read = await server.Client.GetAsync(a.Path(name));
                    }

                    Assert.True(read.StatusCode == HttpStatusCode.OK, "write " + name + " answered " + (refused.ContainsKey(name) ? "412" : "201") + " reads " + (int)read.StatusCode + " after the failover");
                    Assert.Equal(value, await read.Content.ReadAsStringAsync());
                }
            }
        }

        private static async Task<string> ReadAnswer(Socket socket)
        {
            var buffer = new byte[4096];
            var answer = new StringBuilder();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            while (!answer.ToString().Contains("\r\n\r\n", StringComparison.Ordinal) || !EndsBody(answer.ToString()))
            {
                int read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (read == 0)
                {
                    break;
                }

                answer.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            return answer.ToString();
        }

        private static bool EndsBody(string answer)
        {
            int headEnd = answer.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            int at = answer.IndexOf("Content-Length: ", StringComparison.OrdinalIgnoreCase);
            if (at < 0 || at > headEnd)
            {
                return true;
            }

            int length = int.Parse(answer.AsSpan(at + 16, answer.IndexOf("\r\n", at, StringComparison.Ordinal) - at - 16));
            return answer.Length >= headEnd + 4 + length;
        }
    }
}
