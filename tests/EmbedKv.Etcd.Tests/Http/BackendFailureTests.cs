using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using EmbedKv.Server;
using EmbedKv.Server.Tests.Infrastructure;

namespace EmbedKv.Etcd.Tests.Http
{
    /// <summary>
    /// What an operator sees of a cluster out of reach: every 503 counted on the meter (embedkv.backend.failures,
    /// reason "unavailable"), and one warning (event 140) naming the cluster and the reason rather than one per
    /// request. The rate limit and the recovery message are BackendHealthTests' (EmbedKv.Server.Tests).
    /// </summary>
    public sealed class BackendFailureTests
    {
        private const int Requests = 5;

        [Fact]
        public async Task A_cluster_out_of_reach_is_counted_per_request_and_logged_once_per_quiet_period()
        {
            string endpoint = "http://127.0.0.1:" + Backend.Stores.UnusedPort();
            var log = new RecordingLogger();
            using var etcd = new EtcdBackend(new EtcdStoreOptions { Endpoints = { endpoint }, RequestTimeout = TimeSpan.FromMilliseconds(500) });
            using KvServer server = KvServer.Start(new KvServerOptions { Port = 0, Backend = etcd, Workers = 1, Logger = log });
            using var failures = new FailureCounter(server.Port);
            using var client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };

            for (int i = 0; i < Requests; i++)
            {
                using HttpResponseMessage answer = await client.GetAsync("k" + i);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
            }

            Assert.Equal(Requests, failures.Read("unavailable"));
            Assert.Equal(0, failures.Read("refused"));
            // Each request takes about the 500 ms timeout, so all fall in one or two of the 5 s quiet periods
            // (two only on a very slow machine): fewer lines than failures, the first of them at once.
            LoggedEntry[] warnings = log.Entries.Where(e => e.EventId.Id == 140).ToArray();
            Assert.InRange(warnings.Length, 1, Requests - 1);
            Assert.StartsWith("The store behind this server (etcd at " + endpoint + ") did not answer: etcd get: ", warnings[0].Message, StringComparison.Ordinal);
            Assert.EndsWith("; answered 503, and 0 more requests since the last message", warnings[0].Message, StringComparison.Ordinal);
        }

        /// <summary>embedkv.backend.failures of the server on <c>port</c>, by reason (servers of other tests run alongside).</summary>
        private sealed class FailureCounter : IDisposable
        {
            private readonly MeterListener _listener = new MeterListener();
            private readonly Dictionary<string, long> _latest = new Dictionary<string, long>(StringComparer.Ordinal);

            public FailureCounter(int port)
            {
                _listener.InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Name == "embedkv.backend.failures" && instrument.Meter.Tags!.Any(t => t.Key == "server.port" && Equals(t.Value, port)))
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                };
                _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
                {
                    foreach (KeyValuePair<string, object?> tag in tags)
                    {
                        if (tag.Key == "reason")
                        {
                            _latest[(string)tag.Value!] = value;
                        }
                    }
                });
                _listener.Start();
            }

            public long Read(string reason)
            {
                _listener.RecordObservableInstruments();
                return _latest.TryGetValue(reason, out long value) ? value : -1;
            }

            public void Dispose() => _listener.Dispose();
        }
    }
}
