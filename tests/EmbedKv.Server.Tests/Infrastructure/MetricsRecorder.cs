using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;

namespace EmbedKv.Server.Tests.Infrastructure
{
    /// <summary>A listener on one server's meter that keeps what it is told, as an exporter would.</summary>
    internal sealed class MetricsRecorder : IDisposable
    {
        private readonly MeterListener _listener = new MeterListener();
        private readonly Dictionary<(string Method, int Status), long> _requests = new Dictionary<(string, int), long>();
        private readonly Dictionary<string, long> _last = new Dictionary<string, long>();
        private readonly object _lock = new object();

        public MetricsRecorder(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    lock (_lock)
                    {
                        InstrumentNames.Add(instrument.Name);
                    }

                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.MeasurementsCompleted = (_, _) =>
            {
                lock (_lock)
                {
                    Unpublished++;
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnLong(instrument.Name, value, tags));
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => OnLong(instrument.Name, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
            {
                lock (_lock)
                {
                    Durations.Add((Tag(tags, "http.request.method"), Convert.ToInt32(Tag<object>(tags, "http.response.status_code"), System.Globalization.CultureInfo.InvariantCulture), value));
                }
            });
            _listener.Start();
        }

        public List<string> InstrumentNames { get; } = new List<string>();

        public List<(string Method, int Status, double Seconds)> Durations { get; } = new List<(string, int, double)>();

        public List<long> BatchSizes { get; } = new List<long>();

        public int Unpublished { get; private set; }

        public void Collect() => _listener.RecordObservableInstruments();

        public long Requests(string method, int status)
        {
            lock (_lock)
            {
                return _requests.TryGetValue((method, status), out long count) ? count : 0;
            }
        }

        public long Last(string instrument)
        {
            lock (_lock)
            {
                return _last.TryGetValue(instrument, out long value) ? value : -1;
            }
        }

        public void Dispose() => _listener.Dispose();

        private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key) => (string)Tag<object>(tags, key);

        private static T Tag<T>(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == key)
                {
                    return (T)tag.Value!;
                }
            }

            throw new InvalidOperationException("no tag " + key);
        }

        private void OnLong(string name, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            lock (_lock)
            {
                if (name == "embedkv.requests")
                {
                    // An observable counter reports its running total: the last one seen is the count.
                    _requests[(Tag(tags, "http.request.method"), (int)Tag<object>(tags, "http.response.status_code"))] = value;
                }
                else if (name == "embedkv.storage.sync.batch_size")
                {
                    BatchSizes.Add(value);
                }
                else
                {
                    _last[name] = value;
                }
            }
        }
    }
}
