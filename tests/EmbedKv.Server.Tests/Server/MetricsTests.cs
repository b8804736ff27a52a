using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Infrastructure;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// The "EmbedKv" meter, read the way dotnet-counters and OpenTelemetry read it: through a
    /// <see cref="MeterListener"/>. Every instrument must move with real traffic on a real server.
    /// </summary>
    public sealed class MetricsTests
    {
        [Fact]
        public void MeterIsNamedEmbedKvAndCarriesEveryInstrument()
        {
            using TestServer server = TestServer.Start();
            Meter meter = server.Server.Metrics.Meter;
            Assert.Equal("EmbedKv", meter.Name);
            Assert.Contains(meter.Tags!, tag => tag.Key == "server.port" && Equals(tag.Value, server.Port));

            using var recorder = new MetricsRecorder(meter);
            Assert.Equal(
                new[]
                {
                    "embedkv.auth.failures", "embedkv.connection.faults", "embedkv.connections.open", "embedkv.keys", "embedkv.network.received", "embedkv.network.sent",
                    "embedkv.request.duration", "embedkv.requests", "embedkv.storage.compactions", "embedkv.storage.size",
                    "embedkv.storage.sync.batch_size", "embedkv.storage.synced_writes", "embedkv.storage.syncs",
                },
                recorder.InstrumentNames.OrderBy(n => n, StringComparer.Ordinal));
        }

        [Fact]
        public async Task InstrumentsMoveUnderLoad()
        {
            using TestServer server = TestServer.Start();
            using var recorder = new MetricsRecorder(server.Server.Metrics.Meter);
            using HttpClient client = server.Client();

            for (int i = 0; i < 20; i++)
            {
                Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("k" + i, new ByteArrayContent(new byte[100]))).StatusCode);
            }

            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("k0", new ByteArrayContent(new byte[10]))).StatusCode);
            for (int i = 0; i < 10; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("k" + i)).StatusCode);
            }

            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("missing" + i)).StatusCode);
            }

            for (int i = 0; i < 3; i++)
            {
                Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("k1" + i)).StatusCode);
            }

            using (RawConnection raw = server.Connect())
            {
                raw.Send("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n");
                Assert.Equal(405, raw.ReadResponse().Status);
            }

            recorder.Collect();
            Assert.Equal(20, recorder.Requests("PUT", 201));
            Assert.Equal(1, recorder.Requests("POST", 204));
            Assert.Equal(10, recorder.Requests("GET", 200));
            Assert.Equal(5, recorder.Requests("GET", 404));
            Assert.Equal(3, recorder.Requests("DELETE", 204));
            Assert.Equal(1, recorder.Requests("_OTHER", 405));

            // One duration per answered request, each tagged like its count, each a plausible time.
            Assert.Equal(40, recorder.Durations.Count);
            Assert.Equal(20, recorder.Durations.Count(d => d.Method == "PUT" && d.Status == 201));
            Assert.All(recorder.Durations, d => Assert.InRange(d.Seconds, 0, 30));

            Assert.Equal(17, recorder.Last("embedkv.keys"));
            Assert.True(recorder.Last("embedkv.storage.size") >= 17 * 100, "storage.size " + recorder.Last("embedkv.storage.size"));
            Assert.True(recorder.Last("embedkv.network.received") > 24 * 100, "received " + recorder.Last("embedkv.network.received"));
            Assert.True(recorder.Last("embedkv.network.sent") > 10 * 100, "sent " + recorder.Last("embedkv.network.sent"));
            Assert.True(recorder.Last("embedkv.connections.open") >= 1, "the HttpClient's keep-alive connection is open");

            // Every write is durable (Always): the sync rounds cover exactly the 24 writes, and the
            // batch-size histogram adds up to the same writes.
            long syncedWrites = recorder.Last("embedkv.storage.synced_writes");
            Assert.Equal(24, syncedWrites);
            Assert.InRange(recorder.Last("embedkv.storage.syncs"), 1, 24);
            Assert.Equal(syncedWrites, recorder.BatchSizes.Sum());

            Assert.Equal(0, recorder.Last("embedkv.storage.compactions"));
        }

        [Fact]
        public async Task CompactionsAreCounted()
        {
            using TestServer server = TestServer.Start(o => o.SegmentSize = 4096);
            using var recorder = new MetricsRecorder(server.Server.Metrics.Meter);
            using HttpClient client = server.Client();
            for (int round = 0; round < 2; round++)
            {
                for (int i = 0; i < 40; i++)
                {
                    (await client.PutAsync("k" + i, new ByteArrayContent(new byte[200]))).EnsureSuccessStatusCode();
                }
            }

            recorder.Collect();
            long before = recorder.Last("embedkv.storage.compactions");
            Assert.True(server.Server.Store.Compact() > 0, "nothing to merge: the test wrote too little");
            recorder.Collect();
            Assert.Equal(before + 1, recorder.Last("embedkv.storage.compactions"));
        }

        [Fact]
        public void OpenConnectionsRiseAndFall()
        {
            using TestServer server = TestServer.Start();
            using var recorder = new MetricsRecorder(server.Server.Metrics.Meter);
            var connections = new List<RawConnection>();
            for (int i = 0; i < 5; i++)
            {
                RawConnection raw = server.Connect();
                raw.Send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
                Assert.Equal(404, raw.ReadResponse().Status); // answered, so the server has surely accepted it
                connections.Add(raw);
            }

            recorder.Collect();
            Assert.Equal(5, recorder.Last("embedkv.connections.open"));
            connections.ForEach(c => c.Dispose());
            Assert.True(SpinWaitFor(() =>
            {
                recorder.Collect();
                return recorder.Last("embedkv.connections.open") == 0;
            }), "open connections did not fall back to 0: " + recorder.Last("embedkv.connections.open"));
        }

        [Fact]
        public void MeterIsDisposedWithTheServer()
        {
            TestServer server = TestServer.Start();
            Meter meter = server.Server.Metrics.Meter;
            using var recorder = new MetricsRecorder(meter);
            Assert.NotEmpty(recorder.InstrumentNames);
            server.Dispose();
            Assert.Equal(recorder.InstrumentNames.Count, recorder.Unpublished);
        }

        private static bool SpinWaitFor(Func<bool> condition)
        {
            DateTime deadline = DateTime.UtcNow.AddSeconds(10);
            while (DateTime.UtcNow < deadline)
            {
                if (condition())
                {
                    return true;
                }

                System.Threading.Thread.Sleep(10);
            }

            return condition();
        }
    }
}
