using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>
    /// A well-behaved client on keep-alive connections of its own, opened before the load so the
    /// connection cap never refuses it. Each GET connection has a thread of its own and a fixed schedule
    /// (one request every <see cref="GetInterval"/>); latency is counted from when a request was due, not
    /// from when it went out, so a connection stalled for 500 ms counts every request it could not send
    /// meanwhile (one request at a time would record a stall once and hide it). With SO_REUSEPORT eight
    /// connections land on both loops in practice. One more connection does a small PUT now and then:
    /// its latency is mostly fdatasync, which the uploads' writeback makes slow, so it is reported apart.
    /// </summary>
    internal sealed class SoakProbe : IDisposable
    {
        public const int GetConnections = 8;

        private static readonly TimeSpan GetInterval = TimeSpan.FromMilliseconds(20);
        private static readonly TimeSpan PutInterval = TimeSpan.FromMilliseconds(200);
        private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

        private readonly List<Socket> _sockets = new List<Socket>();
        private readonly Dictionary<string, byte[]> _known;
        private readonly List<(long At, double Milliseconds, bool Put)> _samples = new List<(long, double, bool)>();
        private readonly List<string> _failures = new List<string>();
        private readonly List<Thread> _threads = new List<Thread>();

        public SoakProbe(int port, Dictionary<string, byte[]> known)
        {
            _known = known;
            for (int i = 0; i <= GetConnections; i++)
            {
                Socket socket = SoakWire.Connect(port);
                socket.ReceiveTimeout = (int)RequestTimeout.TotalMilliseconds;
                socket.SendTimeout = (int)RequestTimeout.TotalMilliseconds;
                _sockets.Add(socket);
            }
        }

        public IReadOnlyList<string> Failures
        {
            get
            {
                lock (_failures)
                {
                    return _failures.ToList();
                }
            }
        }

        public void Start(CancellationToken token)
        {
            for (int i = 0; i < _sockets.Count; i++)
            {
                int index = i;
                var thread = new Thread(() => Run(index, put: index == GetConnections, token)) { IsBackground = true, Name = "soak probe " + i };
                _threads.Add(thread);
                thread.Start();
            }
        }

        public void Join() => _threads.ForEach(t => t.Join());

        /// <summary>GET latencies (ms, sorted) of requests answered between two <see cref="Stopwatch.GetTimestamp"/> instants.</summary>
        public double[] Gets(long from = 0, long to = long.MaxValue) => Samples(s => !s.Put && s.At >= from && s.At <= to);

        public double[] Puts() => Samples(s => s.Put);

        public static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

        public static string Describe(string what, double[] sorted) => string.Format(
            CultureInfo.InvariantCulture,
            "{0}: {1} answered, median {2:F2} ms, p99 {3:F2} ms, max {4:F1} ms",
            what,
            sorted.Length,
            Percentile(sorted, 0.50),
            Percentile(sorted, 0.99),
            sorted.Length == 0 ? 0 : sorted[^1]);

        public void Dispose() => _sockets.ForEach(s => s.Dispose());

        private double[] Samples(Func<(long At, double Milliseconds, bool Put), bool> which)
        {
            lock (_samples)
            {
                return _samples.Where(which).Select(s => s.Milliseconds).OrderBy(l => l).ToArray();
            }
        }

        private void Run(int index, bool put, CancellationToken token)
        {
            Socket socket = _sockets[index];
            var pending = new MemoryStream();
            string[] keys = _known.Keys.ToArray();
            TimeSpan interval = put ? PutInterval : GetInterval;
            var clock = Stopwatch.StartNew();
            for (long n = 0; !token.IsCancellationRequested; n++)
            {
                // Sleep until the request is due; a late request is sent at once and its lateness counted.
                TimeSpan due = interval * n;
                TimeSpan wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    token.WaitHandle.WaitOne(wait);
                    if (token.IsCancellationRequested)
                    {
                        return;
                    }
                }

                string key = put ? "soak-probe-" + (n % 7) : keys[(n + index) % keys.Length];
                byte[] request = put
                    ? Encoding.ASCII.GetBytes("PUT /" + key + " HTTP/1.1\r\nHost: t\r\nContent-Length: 32\r\n\r\n" + new string('p', 32))
                    : Encoding.ASCII.GetBytes("GET /" + key + " HTTP/1.1\r\nHost: t\r\n\r\n");
                long sentAt = Stopwatch.GetTimestamp();
                string? failure;
                try
                {
                    SoakWire.Send(socket, request);
                    WireResponse? response = SoakWire.ReadOne(socket, pending, toHead: false);
                    failure = response is null ? "the connection ended (or no answer within " + RequestTimeout.TotalSeconds + " s)"
                        : put ? (response.Status is 201 or 204 ? null : "PUT answered " + response.StatusLine)
                        : response.Status != 200 ? "GET answered " + response.StatusLine
                        : response.Body.AsSpan().SequenceEqual(_known[key]) ? null : "GET returned the wrong value";
                }
                catch (Exception e) when (e is SocketException or InvalidDataException or ObjectDisposedException)
                {
                    failure = e.Message;
                }

                // From when it was due, or from when it went out if the wait woke a little early.
                long now = Stopwatch.GetTimestamp();
                double latency = Stopwatch.GetElapsedTime(sentAt, now).TotalMilliseconds;
                if (!put)
                {
                    latency = Math.Max(latency, (clock.Elapsed - due).TotalMilliseconds);
                }

                if (failure is not null)
                {
                    if (!token.IsCancellationRequested)
                    {
                        lock (_failures)
                        {
                            _failures.Add(string.Format(CultureInfo.InvariantCulture, "connection {0}, request {1} ({2} {3}) after {4:F0} ms: {5}", index, n, put ? "PUT" : "GET", key, latency, failure));
                        }
                    }

                    return; // the stream is in doubt now
                }

                lock (_samples)
                {
                    _samples.Add((now, latency, put));
                }
            }
        }
    }
}
