using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using EmbedKv.Server.Http;
using EmbedKv.Server.Kv.Access;
using EmbedKv.Server.Kv.Remote;
using EmbedKv.Server.Loop;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Diagnostics
{
    /// <summary>
    /// The server's instruments on a <see cref="Meter"/> named "EmbedKv", readable by dotnet-counters,
    /// dotnet-trace and OpenTelemetry with no code of ours. Counts are observable instruments fed from
    /// each loop's <see cref="RequestStats"/> when a listener collects, so the request path only bumps a
    /// plain field; the duration histogram is recorded per request, and only while someone listens.
    /// Names and tags follow OpenTelemetry's HTTP semantic conventions where one applies.
    /// </summary>
    internal sealed class KvMetrics : IDisposable
    {
        public const string MeterName = "EmbedKv";

        private static readonly double[] DurationBuckets =
        {
            0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
        };

        private readonly Meter _meter;
        private readonly bool _ownsMeter;
        private readonly SharedCounter _open;
        private readonly List<RequestStats> _loops = new List<RequestStats>();
        private readonly Dictionary<int, KeyValuePair<string, object?>[]> _requestTags = new Dictionary<int, KeyValuePair<string, object?>[]>();
        private readonly Histogram<double> _duration;
        private readonly Histogram<int> _batchSize;
        private volatile bool _stopped;

        public KvMetrics(IMeterFactory? factory, string address, int port, KvStore? store, SharedCounter open, AccessFailures failures, BackendHealth? backend)
        {
            _open = open;
            var tags = new[]
            {
                new KeyValuePair<string, object?>("server.address", address),
                new KeyValuePair<string, object?>("server.port", port),
            };
            var options = new MeterOptions(MeterName) { Version = typeof(KvMetrics).Assembly.GetName().Version?.ToString(), Tags = tags };
            _ownsMeter = factory is null;
            _meter = factory?.Create(options) ?? new Meter(options);

            _meter.CreateObservableCounter("embedkv.requests", ObserveRequests, "{request}", "Requests answered, by method and status code.");
            _duration = _meter.CreateHistogram("embedkv.request.duration", "s", "From a request's first byte to its answer being queued.",
                tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
            _meter.CreateObservableCounter("embedkv.network.received", () => Sum(static s => s.BytesReceived), "By", "Bytes read from clients.");
            _meter.CreateObservableCounter("embedkv.network.sent", () => Sum(static s => s.BytesSent), "By", "Bytes sent to clients, values included.");
            _meter.CreateObservableCounter("embedkv.connection.faults", () => Sum(static s => s.Faults), "{connection}", "Connections closed because serving them failed unexpectedly (each one logged, event 120).");
            _meter.CreateObservableCounter("embedkv.auth.failures", () => new[]
            {
                new Measurement<long>(failures.Missing, new KeyValuePair<string, object?>("reason", "missing")),
                new Measurement<long>(failures.Invalid, new KeyValuePair<string, object?>("reason", "invalid")),
                new Measurement<long>(failures.Forbidden, new KeyValuePair<string, object?>("reason", "forbidden")),
            }, "{request}", "Requests refused for want of a valid token (missing: none sent; invalid: unknown or malformed) or of its scope or prefix (forbidden); each logged at most once a second per client address, event 130.");
            _meter.CreateObservableUpDownCounter("embedkv.connections.open", () => _open.Value, "{connection}", "Client connections open now.");
            _batchSize = _meter.CreateHistogram<int>("embedkv.storage.sync.batch_size", "{write}", "Writes covered by one commit round.",
                tags: null, advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = new[] { 1, 2, 4, 8, 16, 32, 64, 128, 256, 1024 } });
            if (backend is not null)
            {
                _meter.CreateObservableCounter("embedkv.backend.failures", () => new[]
                {
                    new Measurement<long>(backend.UnavailableCount, new KeyValuePair<string, object?>("reason", "unavailable")),
                    new Measurement<long>(backend.RefusedCount, new KeyValuePair<string, object?>("reason", "refused")),
                }, "{request}", "Requests the remote backend did not answer in time (unavailable: 503) or refused (refused: 500); logged at most once every 5 s for each, events 140 and 141, and its recovery once, event 142.");
            }

            if (store is null)
            {
                return; // on a remote backend: the local store's instruments would only ever read 0
            }

            _meter.CreateObservableUpDownCounter("embedkv.keys", () => Stopped ? 0 : store.Count, "{key}", "Keys stored.");
            _meter.CreateObservableUpDownCounter("embedkv.storage.size", () => Stopped ? 0 : store.DiskBytes, "By", "Bytes of segment files on disk, dead records included.");
            _meter.CreateObservableCounter("embedkv.storage.syncs", () => Stopped ? 0 : store.SyncBatches, "{sync}", "Commit rounds that made at least one write durable (one fdatasync per touched segment).");
            _meter.CreateObservableCounter("embedkv.storage.synced_writes", () => Stopped ? 0 : store.SyncedWrites, "{write}", "Writes completed by those rounds.");
            _meter.CreateObservableCounter("embedkv.storage.compactions", () => Stopped ? 0 : store.Compactions, "{merge}", "Merges of segments that finished.");
        }

        public Meter Meter => _meter;

        private bool Stopped => _stopped;

        /// <summary>A new loop's figures, to be written by that loop alone.</summary>
        public RequestStats AddLoop()
        {
            var stats = new RequestStats(_duration);
            lock (_loops)
            {
                _loops.Add(stats);
            }

            return stats;
        }

        /// <summary>Called by the store's commit thread after each round (see <see cref="StoreOptions"/>).</summary>
        public void BatchCommitted(int writes)
        {
            if (_batchSize.Enabled)
            {
                _batchSize.Record(writes);
            }
        }

        public void Dispose()
        {
            _stopped = true;
            if (_ownsMeter)
            {
                _meter.Dispose();
            }
        }

        private long Sum(Func<RequestStats, long> figure)
        {
            long total = 0;
            lock (_loops)
            {
                foreach (RequestStats stats in _loops)
                {
                    total += figure(stats);
                }
            }

            return total;
        }

        private IEnumerable<Measurement<long>> ObserveRequests()
        {
            var measurements = new List<Measurement<long>>();
            lock (_loops)
            {
                int slots = RequestStats.MethodCount * RequestStats.StatusSlots;
                for (int slot = 0; slot < slots; slot++)
                {
                    long count = 0;
                    foreach (RequestStats stats in _loops)
                    {
                        count += stats.RequestsAt(slot);
                    }

                    if (count != 0)
                    {
                        measurements.Add(new Measurement<long>(count, TagsOf(slot)));
                    }
                }
            }

            return measurements;
        }

        private KeyValuePair<string, object?>[] TagsOf(int slot)
        {
            if (!_requestTags.TryGetValue(slot, out KeyValuePair<string, object?>[]? tags))
            {
                tags = new[]
                {
                    new KeyValuePair<string, object?>("http.request.method", RequestStats.MethodName((HttpMethod)(slot / RequestStats.StatusSlots))),
                    new KeyValuePair<string, object?>("http.response.status_code", slot % RequestStats.StatusSlots),
                };
                _requestTags[slot] = tags;
            }

            return tags;
        }
    }
}
