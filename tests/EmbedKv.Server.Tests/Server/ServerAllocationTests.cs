using System;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// A request allocates nothing on the GC heap: a separate process sends tens of thousands of
    /// keep-alive requests (GET, PUT of new and existing keys, DELETE) and the server's process-wide
    /// allocation total may grow only by a small constant, the same for 20,000 requests as for 50,000.
    /// </summary>
    [Collection(MeasurementCollection.Name)]
    public sealed class ServerAllocationTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public ServerAllocationTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void RequestsAllocateNothingPerRequest()
        {
            using KvServer server = Start();
            AssertNoAllocationPerRequest(server);
        }

        /// <summary>
        /// The same with a listener on every instrument of the "EmbedKv" meter, as dotnet-counters or
        /// OpenTelemetry would attach: the duration histogram is recorded for every request, and the
        /// observable counters are collected while the load runs.
        /// </summary>
        [Fact]
        public void MetricsAllocateNothingPerRequest()
        {
            using KvServer server = Start();
            long durations = 0;
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, server.Metrics.Meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((_, _, _, _) => Interlocked.Increment(ref durations));
            listener.SetMeasurementEventCallback<long>((_, _, _, _) => { });
            listener.SetMeasurementEventCallback<int>((_, _, _, _) => { });
            listener.Start();

            AssertNoAllocationPerRequest(server);
            Assert.True(Interlocked.Read(ref durations) >= 90_000, "the duration histogram saw " + durations + " requests");
        }

        /// <summary>
        /// The same with bearer tokens configured and every request carrying one: finding the token (its
        /// SHA-256 and the constant-time comparisons), judging its scopes and its key prefix allocate nothing.
        /// </summary>
        [Fact]
        public void CheckingTokensAllocatesNothingPerRequest()
        {
            const string Token = "allocation-test-token_0123456789";
            using KvServer server = Start(options =>
            {
                options.Tokens.Add(new AccessToken { Name = "other", Hash = AccessToken.HashOf("someone else") });
                options.Tokens.Add(new AccessToken { Name = "load", Hash = AccessToken.HashOf(Token), KeyPrefix = "k" });
            });
            AssertNoAllocationPerRequest(server, Token);
        }

        private KvServer Start(Action<KvServerOptions>? configure = null)
        {
            var options = new KvServerOptions
            {
                Port = 0,
                DataDirectory = _dir.Path,
                Workers = 2,
                Durability = Durability.Always,
            };
            configure?.Invoke(options);
            return KvServer.Start(options);
        }

        private void AssertNoAllocationPerRequest(KvServer server, string? token = null)
        {
            Load(server.Port, 10_000, seed: 1, token); // warm-up: JIT, tiering, buffer and connection pools, index growth
            Load(server.Port, 10_000, seed: 2, token);

            // Starting the client and reading its output allocates in this process too: measure that
            // alone (a run of no requests) and count only what the requests add to it.
            long none = Measure(() => Load(server.Port, 0, seed: 3, token), out _);
            long small = Measure(() => Load(server.Port, 20_000, seed: 4, token), out _) - none;
            long large = Measure(() => Load(server.Port, 50_000, seed: 5, token), out TimeSpan took) - none;

            // The test host allocates on its own threads at a steady rate (about 2.4 KiB a second here,
            // with no server at all), so a slow machine's longer run shows more: an idle span as long as
            // the run measures that and it is taken away.
            long idle = Measure(() => Thread.Sleep(took), out _);
            long requests = large - idle;
            _output.WriteLine("allocated beyond starting the client: " + small + " bytes for 20,000 requests, " + large + " bytes for 50,000 in "
                + took.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " s, of which the host alone allocates " + idle
                + " in as long (client start alone: " + none + ")");

            // Not a per-request cost: even 8 bytes a request would be 400,000 bytes here. What remains
            // (a few KiB) is the runtime's own background work.
            Assert.True(requests < 64 * 1024, "50,000 requests allocated " + requests + " bytes beyond the host's own " + idle + " (20,000 allocated " + small + ")");
        }

        private static long Measure(Action action, out TimeSpan took)
        {
            var clock = Stopwatch.StartNew();
            long before = GC.GetTotalAllocatedBytes(precise: true);
            action();
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
            took = clock.Elapsed;
            return allocated;
        }

        private void Load(int port, int requests, int seed, string? token)
        {
            var start = new ProcessStartInfo(ChildPrograms.DotnetHost())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(ChildPrograms.PathOf("EmbedKv.Server.LoadClient"));
            start.ArgumentList.Add("load");
            start.ArgumentList.Add(port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(requests.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (token is not null)
            {
                start.ArgumentList.Add(token);
            }

            using Process child = Process.Start(start)!;
            string stdout = child.StandardOutput.ReadToEnd();
            string stderr = child.StandardError.ReadToEnd();
            Assert.True(child.WaitForExit(TimeSpan.FromMinutes(2)), "the load client did not finish");
            Assert.True(child.ExitCode == 0, "load client failed (" + child.ExitCode + "): " + stdout + stderr);
        }
    }
}
