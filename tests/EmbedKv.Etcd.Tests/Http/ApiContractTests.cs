using System;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Infrastructure;

namespace EmbedKv.Etcd.Tests.Http
{
    /// <summary>
    /// One contract, two backends: the HTTP API (docs/api.md) through a real server on a loopback port, with the
    /// keys in the local store and in a real 3-member etcd cluster. A rule that holds on one holds on the other.
    /// The API suites themselves (Api/EtcdApiSuites.cs) run every rule of docs/api.md they check on both; what is
    /// left here they do not check: two EmbedKv instances on one cluster, the raw bytes in etcd, an empty value.
    /// </summary>
    [Collection(EtcdCollection.Name)]
    public sealed class ApiContractTests
    {
        private readonly SharedEtcdCluster _etcd;

        public ApiContractTests(SharedEtcdCluster etcd) => _etcd = etcd;

        public static TheoryData<string> Backends => new TheoryData<string> { "local", "etcd" };

        [Theory]
        [MemberData(nameof(Backends))]
        public async Task Put_get_head_delete(string backend)
        {
            using ApiServer server = ApiServer.Start(backend, _etcd.Cluster.ClientUrls);
            HttpClient http = server.Client;
            string path = server.Path("a key");

            HttpResponseMessage created = await http.PutAsync(path, Bytes("first"));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            EntityTagHeaderValue firstTag = created.Headers.ETag!;

            HttpResponseMessage got = await http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal("first", await got.Content.ReadAsStringAsync());
            Assert.Equal(firstTag, got.Headers.ETag);
            Assert.Equal("application/octet-stream", got.Content.Headers.ContentType!.MediaType);
            if (backend == "etcd")
            {
                // In etcd itself, raw, read back by etcd's own gateway rather than through our client.
                Assert.Equal("first", EtcdGateway.Get(_etcd.Cluster.ClientUrls[2], server.Prefix + "a key"));
                Assert.Throws<InvalidOperationException>(() => server.Server.Store);
            }

            HttpResponseMessage head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(5, head.Content.Headers.ContentLength);

            HttpResponseMessage replaced = await http.PostAsync(path, Bytes("second"));
            Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);
            Assert.NotEqual(firstTag, replaced.Headers.ETag);
            Assert.Equal("second", await http.GetStringAsync(path));

            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(path)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.DeleteAsync(path)).StatusCode);
        }

        [Theory]
        [MemberData(nameof(Backends))]
        public async Task A_large_value_and_an_empty_one_round_trip(string backend)
        {
            using ApiServer server = ApiServer.Start(backend, _etcd.Cluster.ClientUrls);
            byte[] large = new byte[1024 * 1024];
            new Random(7).NextBytes(large);
            Assert.Equal(HttpStatusCode.Created, (await server.Client.PutAsync(server.Path("large"), new ByteArrayContent(large))).StatusCode);
            Assert.Equal(large, await server.Client.GetByteArrayAsync(server.Path("large")));

            Assert.Equal(HttpStatusCode.Created, (await server.Client.PutAsync(server.Path("empty"), new ByteArrayContent([]))).StatusCode);
            HttpResponseMessage empty = await server.Client.GetAsync(server.Path("empty"));
            Assert.Equal(HttpStatusCode.OK, empty.StatusCode);
            Assert.Equal(0, empty.Content.Headers.ContentLength);
        }

        [Theory]
        [MemberData(nameof(Backends))]
        public async Task A_long_poll_wakes_on_a_write_through_another_instance(string backend)
        {
            using ApiServer server = ApiServer.Start(backend, _etcd.Cluster.ClientUrls);
            // On etcd a second EmbedKv on the same cluster; on the local store, the same server.
            using ApiServer? other = backend == "etcd" ? ApiServer.Start(backend, _etcd.Cluster.ClientUrls.Reverse().ToArray(), server.Prefix) : null;
            HttpClient writer = (other ?? server).Client;
            string path = server.Path("watched");

            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Prefer", "wait=30");
            Task<HttpResponseMessage> waiting = server.Client.SendAsync(request);
            await Task.Delay(500);
            Assert.False(waiting.IsCompleted, "the GET of an absent key did not wait");

            Assert.Equal(HttpStatusCode.Created, (await writer.PutAsync(path, Bytes("news"))).StatusCode);
            HttpResponseMessage woken = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.OK, woken.StatusCode);
            Assert.Equal("news", await woken.Content.ReadAsStringAsync());

            // Waiting on the version it has: a 304 when the time is up.
            var again = new HttpRequestMessage(HttpMethod.Get, path);
            again.Headers.Add("Prefer", "wait=1");
            again.Headers.TryAddWithoutValidation("If-None-Match", woken.Headers.ETag!.Tag);
            var took = Stopwatch.StartNew();
            Assert.Equal(HttpStatusCode.NotModified, (await server.Client.SendAsync(again)).StatusCode);
            Assert.True(took.Elapsed >= TimeSpan.FromMilliseconds(900));
        }

        [Theory]
        [MemberData(nameof(Backends))]
        public async Task No_update_is_lost_when_64_clients_increment_with_if_match(string backend)
        {
            using ApiServer server = ApiServer.Start(backend, _etcd.Cluster.ClientUrls);
            using ApiServer? other = backend == "etcd" ? ApiServer.Start(backend, _etcd.Cluster.ClientUrls, server.Prefix) : null;
            string path = server.Path("counter");
            await server.Client.PutAsync(path, Bytes("0"));

            const int Clients = 64;
            const int Increments = 3;
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(async () =>
            {
                HttpClient http = other is not null && i % 2 == 1 ? other.Client : server.Client;
                for (int done = 0; done < Increments;)
                {
                    HttpResponseMessage current = await http.GetAsync(path);
                    int next = int.Parse(await current.Content.ReadAsStringAsync()) + 1;
                    // A quarter send a list of tags, which etcd cannot compare in one step (a read, then a pinned write).
                    string ifMatch = i % 4 == 3 ? "\"0000000000000001\", " + current.Headers.ETag!.Tag : current.Headers.ETag!.Tag;
                    HttpResponseMessage put = await Send(http, HttpMethod.Put, path, next.ToString(), ("If-Match", ifMatch));
                    if (put.StatusCode == HttpStatusCode.NoContent)
                    {
                        done++;
                    }
                    else
                    {
                        Assert.Equal(HttpStatusCode.PreconditionFailed, put.StatusCode);
                    }
                }
            })));

            Assert.Equal((Clients * Increments).ToString(), await server.Client.GetStringAsync(path));
        }

        internal static ByteArrayContent Bytes(string text) => new ByteArrayContent(Encoding.UTF8.GetBytes(text));

        internal static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string? body, params (string Name, string Value)[] headers)
        {
            var request = new HttpRequestMessage(method, path);
            if (body is not null)
            {
                request.Content = Bytes(body);
            }

            foreach ((string name, string value) in headers)
            {
                Assert.True(request.Headers.TryAddWithoutValidation(name, value));
            }

            return await http.SendAsync(request);
        }
    }
}
