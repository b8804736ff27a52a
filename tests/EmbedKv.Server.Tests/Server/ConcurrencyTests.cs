using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>Many clients at once: each one's own keys end exactly as its last acknowledged operation left them.</summary>
    public sealed class ConcurrencyTests
    {
        private const int Clients = 64;
        private const int OperationsPerClient = 100;
        private const int OwnKeys = 4;
        private const int SharedKeys = 4;

        private readonly ITestOutputHelper _output;

        public ConcurrencyTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task SixtyFourClientsDoingMixedOperationsEndInTheAcknowledgedState()
        {
            using TestServer server = TestServer.Start();

            // Every value ever sent to a shared key (recorded before it is sent: a reader may see a value
            // before its writer hears the acknowledgement).
            var sharedWritten = new ConcurrentDictionary<string, ConcurrentDictionary<string, bool>>();
            var models = new Dictionary<string, byte[]>[Clients];
            var failures = new ConcurrentQueue<string>();
            long operations = 0;
            using var start = new Barrier(Clients);
            var clock = Stopwatch.StartNew();
            Task[] clients = Enumerable.Range(0, Clients).Select(id => Task.Factory.StartNew(
                () =>
                {
                    try
                    {
                        // Half speak through HttpClient, half through raw keep-alive sockets.
                        using IKvClient client = id % 2 == 0 ? new HttpKvClient(server) : new RawKvClient(server);
                        models[id] = RunClient(id, client, start, sharedWritten, ref operations);
                    }
                    catch (Exception e)
                    {
                        failures.Enqueue("client " + id + ": " + e);
                        if (start.CurrentPhaseNumber == 0)
                        {
                            start.RemoveParticipant(); // failed before the start: do not hold the others back
                        }
                    }
                },
                TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(clients).WaitAsync(TimeSpan.FromSeconds(60));
            _output.WriteLine(Clients + " clients, " + operations + " operations in " + clock.Elapsed.TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " s; "
                + server.Server.Store.SyncedWrites + " writes in " + server.Server.Store.SyncBatches + " syncs");
            Assert.True(failures.IsEmpty, string.Join("\n", failures));

            // Exactly the model, for every client's own keys, through the server and through the store.
            using var check = new RawKvClient(server);
            for (int id = 0; id < Clients; id++)
            {
                for (int k = 0; k < OwnKeys; k++)
                {
                    string key = OwnKey(id, k);
                    models[id].TryGetValue(key, out byte[]? expected);
                    (int status, byte[] body) = check.Send("GET", key, null);
                    Assert.True((expected is null ? 404 : 200) == status, key + ": got " + status);
                    if (expected is not null)
                    {
                        Assert.True(expected.AsSpan().SequenceEqual(body), key + ": wrong value");
                    }

                    Assert.Equal(expected, server.Server.Store.Get(Requests.Utf8(key)));
                }
            }

            // Shared keys hold one of the values written to them.
            for (int s = 0; s < SharedKeys; s++)
            {
                string key = "shared-" + s;
                (int status, byte[] body) = check.Send("GET", key, null);
                Assert.Equal(200, status);
                Assert.True(sharedWritten[key].ContainsKey(Convert.ToBase64String(body)), key + " holds a value nobody wrote");
            }
        }

        private static Dictionary<string, byte[]> RunClient(int id, IKvClient client, Barrier start, ConcurrentDictionary<string, ConcurrentDictionary<string, bool>> sharedWritten, ref long operations)
        {
            var random = new Random(1000 + id);
            var model = new Dictionary<string, byte[]>();
            start.SignalAndWait();
            for (int n = 0; n < OperationsPerClient; n++)
            {
                int pick = random.Next(10);
                if (pick < 7)
                {
                    // The client's own keys: every status is predictable.
                    string key = OwnKey(id, random.Next(OwnKeys));
                    bool exists = model.TryGetValue(key, out byte[]? current);
                    switch (pick)
                    {
                        case 0:
                        case 1:
                        case 2:
                            byte[] value = Value(random, id, n);
                            string method = random.Next(2) == 0 ? "PUT" : "POST";
                            Expect(client.Send(method, key, value), exists ? 204 : 201, null, key);
                            model[key] = value;
                            break;
                        case 3:
                        case 4:
                            Expect(client.Send("GET", key, null), exists ? 200 : 404, current, key);
                            break;
                        case 5:
                            Expect(client.Send("HEAD", key, null), exists ? 200 : 404, null, key);
                            break;
                        default:
                            Expect(client.Send("DELETE", key, null), exists ? 204 : 404, null, key);
                            model.Remove(key);
                            break;
                    }
                }
                else
                {
                    // Shared keys: others write them too.
                    string key = "shared-" + random.Next(SharedKeys);
                    ConcurrentDictionary<string, bool> written = sharedWritten.GetOrAdd(key, _ => new ConcurrentDictionary<string, bool>());
                    if (pick < 9)
                    {
                        byte[] value = Value(random, id, n);
                        written[Convert.ToBase64String(value)] = true;
                        (int status, _) = client.Send("PUT", key, value);
                        Assert.True(status is 201 or 204, key + ": PUT got " + status);
                    }
                    else
                    {
                        (int status, byte[] body) = client.Send("GET", key, null);
                        Assert.True(status == 404 || (status == 200 && written.ContainsKey(Convert.ToBase64String(body))), key + ": GET got " + status + " or a value nobody wrote");
                    }
                }

                Interlocked.Increment(ref operations);
            }

            return model;
        }

        private static void Expect((int Status, byte[] Body) response, int status, byte[]? body, string key)
        {
            Assert.True(status == response.Status, key + ": expected " + status + ", got " + response.Status);
            if (body is not null)
            {
                Assert.True(body.AsSpan().SequenceEqual(response.Body), key + ": wrong value");
            }
        }

        private static string OwnKey(int id, int k) => "client-" + id + "/key-" + k;

        private static byte[] Value(Random random, int id, int n)
        {
            // Mostly small; one in eight past the 16 KiB body area, so streamed uploads run concurrently too.
            int length = random.Next(8) == 0 ? random.Next(16_385, 60_000) : random.Next(0, 300);
            byte[] value = new byte[length + 8];
            random.NextBytes(value);
            BitConverter.TryWriteBytes(value, (id << 16) | n); // unique per write
            return value;
        }

        private interface IKvClient : IDisposable
        {
            (int Status, byte[] Body) Send(string method, string key, byte[]? body);
        }

        private sealed class HttpKvClient : IKvClient
        {
            private readonly HttpClient _client;

            public HttpKvClient(TestServer server) => _client = server.Client();

            public (int Status, byte[] Body) Send(string method, string key, byte[]? body)
            {
                using var request = new HttpRequestMessage(new HttpMethod(method), key);
                if (body is not null)
                {
                    request.Content = new ByteArrayContent(body);
                }

                using HttpResponseMessage response = _client.Send(request);
                using var stream = new System.IO.MemoryStream();
                response.Content.ReadAsStream().CopyTo(stream);
                return ((int)response.StatusCode, stream.ToArray());
            }

            public void Dispose() => _client.Dispose();
        }

        private sealed class RawKvClient : IKvClient
        {
            private readonly RawConnection _connection;

            public RawKvClient(TestServer server) => _connection = server.Connect();

            public (int Status, byte[] Body) Send(string method, string key, byte[]? body)
            {
                _connection.Send(body is null
                    ? System.Text.Encoding.ASCII.GetBytes(method + " /" + key + " HTTP/1.1\r\nHost: t\r\n\r\n")
                    : Requests.Put("/" + key, body, method));
                RawResponse response = _connection.ReadResponse(toHead: method == "HEAD");
                return (response.Status, response.Body);
            }

            public void Dispose() => _connection.Dispose();
        }
    }
}
