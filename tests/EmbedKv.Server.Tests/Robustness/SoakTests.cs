using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Server;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>
    /// About a minute of hostile load on one server (two loops, a connection cap of 200, short timeouts):
    /// slowloris on heads and on bodies, two 1 GiB uploads, a flood past the cap, pipelined garbage, and
    /// idle connections held up to near the cap, all at once, while a probe on connections of its own
    /// does small GETs and PUTs. The probe must be served throughout (every request answered, p99 under
    /// 50 ms), the uploads answered 201/204 or refused with a documented status, every other answer
    /// documented and well formed, and the server still serving, with no connection left, afterwards.
    /// </summary>
    [Collection(RobustnessCollection.Name)]
    public sealed class SoakTests
    {
        private const int Cap = 200;
        private const int IdleHolders = 150;
        private const int HeaderSlowloris = 15;
        private const int BodySlowloris = 6;
        private const int StalledBodies = 3;
        private const int GarbageSenders = 3;
        private const int FloodBurst = 60;
        private const double P99BudgetMilliseconds = 50;
        private const long FullUpload = 1L << 30;

        private static readonly TimeSpan HeaderTimeout = TimeSpan.FromSeconds(2);
        private static readonly TimeSpan BodyTimeout = TimeSpan.FromSeconds(4);

        // Longer than a holder needs to stay put for a while, shorter than the soak, so holders also churn.
        private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(20);

        // A deadline, one tick of the loops' once-a-second timer, and slack for a loaded machine.
        private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);

        private readonly ITestOutputHelper _output;

        public SoakTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task ProbesAreServedPromptlyThroughHostileLoad()
        {
            TimeSpan duration = TimeSpan.FromSeconds(int.TryParse(Environment.GetEnvironmentVariable("EMBEDKV_SOAK_SECONDS"), out int s) ? s : 45);
            long uploadSize = UploadSize();
            using TestServer server = TestServer.Start(o =>
            {
                o.Workers = 2;
                o.Limits.MaxConnections = Cap;
                o.Limits.HeaderTimeout = HeaderTimeout;
                o.Limits.BodyTimeout = BodyTimeout;
                o.Limits.IdleTimeout = IdleTimeout;
            });
            int port = server.Port;
            var known = new Dictionary<string, byte[]>();
            for (int i = 0; i < 3; i++)
            {
                known["soak-known-" + i] = Encoding.ASCII.GetBytes(new string((char)('a' + i), 100));
                using RawConnection c = server.Connect();
                RoutesTests.Exchange(c, Requests.Put("/soak-known-" + i, known["soak-known-" + i]), 201);
            }

            // The probe connects first, so the cap it is measured against never refuses it.
            using var probe = new SoakProbe(port, known);
            var counters = new SoakCounters();
            using var stop = new CancellationTokenSource();
            var load = new List<Task>();
            void Spawn(int count, Func<int, Task> actor) => load.AddRange(Enumerable.Range(0, count).Select(i => Guard(() => actor(i), counters, stop.Token)));
            Spawn(IdleHolders, _ => SoakLoad.IdleHolder(port, counters, stop.Token));
            Spawn(HeaderSlowloris, _ => SoakLoad.HeaderSlowloris(port, HeaderTimeout + Slack, counters, stop.Token));
            Spawn(BodySlowloris, _ => SoakLoad.BodySlowloris(port, stall: false, BodyTimeout + Slack, counters, stop.Token));
            Spawn(StalledBodies, _ => SoakLoad.BodySlowloris(port, stall: true, BodyTimeout + Slack, counters, stop.Token));
            Spawn(GarbageSenders, i => SoakLoad.Garbage(port, seed: 1000 + i, counters, stop.Token));
            Spawn(1, _ => SoakLoad.Flood(port, FloodBurst, counters, stop.Token));

            var clock = Stopwatch.StartNew();
            probe.Start(stop.Token);

            // The uploads start once the rest has ramped up, so they meet a server near its cap.
            await Task.Delay(TimeSpan.FromSeconds(3));
            long uploadsFrom = Stopwatch.GetTimestamp();
            long uploadsTo = long.MaxValue;
            var uploads = new[] { false, true }.Select(chunked => Task.Factory.StartNew(
                () =>
                {
                    var result = SoakLoad.Upload(port, "soak-upload-" + (chunked ? "chunked" : "length"), uploadSize, chunked);
                    Interlocked.Exchange(ref uploadsTo, Stopwatch.GetTimestamp()); // the later of the two is kept
                    return result;
                },
                TaskCreationOptions.LongRunning)).ToArray();

            await Task.Delay(duration - clock.Elapsed);
            stop.Cancel();
            probe.Join();
            probe.Dispose();
            await Task.WhenAll(load);
            await Task.WhenAny(Task.WhenAll(uploads), Task.Delay(TimeSpan.FromSeconds(120)));
            TimeSpan loadTime = clock.Elapsed;

            var failures = new List<string>();
            _output.WriteLine(string.Format(CultureInfo.InvariantCulture, "load for {0:F1} s against a cap of {1} connections; uploads of {2:N0} bytes", loadTime.TotalSeconds, Cap, uploadSize));
            double[] gets = probe.Gets();
            double[] duringUploads = probe.Gets(uploadsFrom, Math.Min(uploadsTo, Stopwatch.GetTimestamp()));
            _output.WriteLine(SoakProbe.Describe("probe GETs", gets));
            _output.WriteLine(SoakProbe.Describe("probe GETs while the uploads ran", duringUploads));
            _output.WriteLine(SoakProbe.Describe("probe PUTs (mostly fdatasync; not held to the budget)", probe.Puts()));
            failures.AddRange(probe.Failures.Take(10).Select(f => "probe: " + f));

            // The uploads last seconds of the minute: the p99 is judged over the whole load and over the
            // time they ran, where a loop that reads an upload without pause starves its other connections.
            foreach ((string when, double[] latencies) in new[] { ("over the load", gets), ("while the uploads ran", duringUploads) })
            {
                double p99 = SoakProbe.Percentile(latencies, 0.99);
                if (latencies.Length == 0 || p99 >= P99BudgetMilliseconds)
                {
                    failures.Add(string.Format(CultureInfo.InvariantCulture, "probe GET p99 {0:F2} ms {1}, over the {2} ms budget ({3} answered)", p99, when, P99BudgetMilliseconds, latencies.Length));
                }
            }

            for (int i = 0; i < uploads.Length; i++)
            {
                if (!uploads[i].IsCompleted)
                {
                    failures.Add("upload " + i + " was not answered within 120 s after the load stopped");
                    continue;
                }

                (int status, string? error, TimeSpan elapsed) = await uploads[i];
                _output.WriteLine(string.Format(CultureInfo.InvariantCulture, "upload {0} ({1}): {2} after {3:F1} s, {4:F0} MB/s{5}", i, i == 0 ? "Content-Length" : "chunked", status, elapsed.TotalSeconds, uploadSize / elapsed.TotalSeconds / 1e6, error is null ? string.Empty : ", " + error));
                if (status is not (201 or 204 or 413 or 500 or 503 or 507))
                {
                    failures.Add("upload " + i + " answered " + status + (error is null ? string.Empty : ": " + error));
                }
                else if (status is 201 or 204)
                {
                    failures.AddRange(CheckStored(port, i == 0 ? "soak-upload-length" : "soak-upload-chunked", uploadSize));
                }
            }

            _output.WriteLine("load: " + counters);
            failures.AddRange(counters.Problems);
            if (counters["flood: 503"] == 0)
            {
                failures.Add("the flood never met the cap (no 503): the test did not test what it claims");
            }

            if (counters["header slowloris: closed by the server"] == 0)
            {
                failures.Add("no header slowloris connection was closed by the server");
            }

            failures.AddRange(AfterTheLoad(server, known));
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }

        /// <summary>The server serves a fresh connection, and every connection of the load is gone.</summary>
        private static IEnumerable<string> AfterTheLoad(TestServer server, Dictionary<string, byte[]> known)
        {
            var failures = new List<string>();
            try
            {
                using RawConnection c = server.Connect();
                c.Send(Requests.Get("/soak-known-0"));
                RawResponse response = c.ReadResponse();
                if (response.Status != 200 || !response.Body.AsSpan().SequenceEqual(known["soak-known-0"]))
                {
                    failures.Add("after the load, GET on a fresh connection answered " + response.StatusLine);
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                failures.Add("after the load, GET on a fresh connection failed: " + e.Message);
            }

            var wait = Stopwatch.StartNew();
            while (server.Server.OpenConnections > 0 && wait.Elapsed < BodyTimeout + Slack + Slack)
            {
                Thread.Sleep(50);
            }

            if (server.Server.OpenConnections > 0)
            {
                failures.Add(server.Server.OpenConnections + " connections still open " + wait.Elapsed.TotalSeconds.ToString("F0", CultureInfo.InvariantCulture) + " s after the load stopped");
            }

            return failures;
        }

        private static IEnumerable<string> CheckStored(int port, string key, long size)
        {
            using var c = new RawConnection(port);
            c.Send(Requests.Head("/" + key));
            RawResponse head = c.ReadResponse(toHead: true);
            return head.Status == 200 && head.Header("Content-Length") == size.ToString(CultureInfo.InvariantCulture)
                ? Array.Empty<string>()
                : new[] { key + ": HEAD after its upload answered " + head.StatusLine + " with Content-Length " + head.Header("Content-Length") };
        }

        /// <summary>1 GiB each, unless the temporary directory's disk has less than 5 GiB free: then 64 MiB, and it says so.</summary>
        private long UploadSize()
        {
            long free = new DriveInfo(Path.GetTempPath()).AvailableFreeSpace;
            if (free >= 5L << 30)
            {
                return FullUpload;
            }

            _output.WriteLine(string.Format(CultureInfo.InvariantCulture, "ONLY {0:N0} bytes free under {1}: the uploads are scaled down from 1 GiB to 64 MiB each", free, Path.GetTempPath()));
            return 64L << 20;
        }

        /// <summary>Runs an actor until the soak stops; an exception other than the stop is a problem, not a crash of the test.</summary>
        private static async Task Guard(Func<Task> actor, SoakCounters counters, CancellationToken token)
        {
            try
            {
                await Task.Yield();
                await actor();
            }
            catch (Exception e)
            {
                // Stopping cancels and closes mid-operation: only what happens before the stop counts.
                bool stopping = token.IsCancellationRequested && e is OperationCanceledException or System.Net.Sockets.SocketException or ObjectDisposedException;
                if (!stopping)
                {
                    counters.Problem(e.GetType().Name + ": " + e.Message);
                }
            }
        }
    }
}
