using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// One event loop's request figures. Only the loop's thread writes them (plain increments, no
    /// interlocked instructions and no allocation on the request path); the server's metrics (Diagnostics.KvMetrics) read
    /// them when a listener collects. Aligned 64-bit reads cannot tear on x86_64, and a counter read a
    /// moment late is still a correct, monotonic count.
    /// </summary>
    internal sealed class RequestStats
    {
        /// <summary>Status codes are 100..599; one slot per code keeps the index a single multiply-add.</summary>
        public const int StatusSlots = 600;

        private static readonly KeyValuePair<string, object?>[] MethodTags = BuildMethodTags();
        private static readonly object?[] StatusValues = BuildStatusValues();

        private readonly long[] _requests = new long[MethodCount * StatusSlots];
        private readonly Histogram<double>? _duration;
        private long _bytesReceived;
        private long _bytesSent;
        private long _faults;

        public RequestStats(Histogram<double>? duration) => _duration = duration;

        public static int MethodCount => (int)HttpMethod.Delete + 1;

        public long BytesReceived => Volatile.Read(ref _bytesReceived);

        public long BytesSent => Volatile.Read(ref _bytesSent);

        /// <summary>Connections closed because serving them threw (see EventLoop, fault isolation).</summary>
        public long Faults => Volatile.Read(ref _faults);

        /// <summary>Whether anyone listens to the duration histogram: only then is the request's start time taken.</summary>
        public bool TimesRequests => _duration is { Enabled: true };

        public static string MethodName(HttpMethod method) => method switch
        {
            HttpMethod.Get => "GET",
            HttpMethod.Head => "HEAD",
            HttpMethod.Post => "POST",
            HttpMethod.Put => "PUT",
            HttpMethod.Delete => "DELETE",
            _ => "_OTHER", // OpenTelemetry's name for a method outside the known set
        };

        public long RequestsAt(int slot) => Volatile.Read(ref _requests[slot]);

        public void Received(long bytes) => _bytesReceived += bytes;

        public void Sent(long bytes) => _bytesSent += bytes;

        public void Faulted() => _faults++;

        /// <summary>Counts an answered request; <paramref name="started"/> is its Stopwatch start, or 0 if not timed.</summary>
        public void Answered(HttpMethod method, int status, long started)
        {
            _requests[((int)method * StatusSlots) + status]++;
            if (started != 0 && _duration is { } duration)
            {
                // Tags are prebuilt and their values preboxed: recording allocates nothing of ours.
                duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, MethodTags[(int)method], new KeyValuePair<string, object?>("http.response.status_code", StatusValues[status]));
            }
        }

        private static KeyValuePair<string, object?>[] BuildMethodTags()
        {
            var tags = new KeyValuePair<string, object?>[MethodCount];
            for (int i = 0; i < tags.Length; i++)
            {
                tags[i] = new KeyValuePair<string, object?>("http.request.method", MethodName((HttpMethod)i));
            }

            return tags;
        }

        private static object?[] BuildStatusValues()
        {
            var values = new object?[StatusSlots];
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = i;
            }

            return values;
        }
    }
}
