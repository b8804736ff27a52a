using System;
using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>
    /// The deterministic simulation of the store (docs/storage.md, "Simulation"). CI runs a fixed range
    /// of seeds; <c>EMBEDKV_SIM_SEEDS=1000000</c> (and optionally <c>EMBEDKV_SIM_FIRST_SEED</c>) soaks,
    /// and <c>EMBEDKV_SIM_SEED=N</c> replays one seed, as every failure's message says.
    /// </summary>
    public sealed class StoreSimulationTests
    {
        /// <summary>Seeds CI runs: enough to re-find each known defect put back (docs/storage.md has the figures).</summary>
        private const int CiSeeds = 1500;

        private readonly ITestOutputHelper _output;

        public StoreSimulationTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void ManySeedsLoseNoAcknowledgedWrite()
        {
            int first = Setting("EMBEDKV_SIM_FIRST_SEED") ?? 1;
            int count = Setting("EMBEDKV_SIM_SEEDS") ?? CiSeeds;
            var total = new SimulationFigures();
            var clock = Stopwatch.StartNew();
            for (int seed = first; seed < first + count; seed++)
            {
                using var simulator = new StoreSimulator(seed);
                simulator.Run();
                total.Add(simulator.Figures);
            }

            double seconds = clock.Elapsed.TotalSeconds;
            _output.WriteLine(count + " seeds (" + first + ".." + (first + count - 1) + ") in " + seconds.ToString("F1", CultureInfo.InvariantCulture)
                + " s = " + (count / seconds).ToString("F0", CultureInfo.InvariantCulture) + " seeds/s; " + total);
            Assert.True(total.Acknowledged > count * 10, "the seeds acknowledged only " + total.Acknowledged + " writes");
            Assert.True(total.Merges > count / 4, "the seeds merged only " + total.Merges + " times");
            Assert.True(total.Crashes > count / 4, "the seeds crashed only " + total.Crashes + " times");
        }

        [Fact]
        public void ReplaysOneSeed()
        {
            int seed = Setting("EMBEDKV_SIM_SEED") ?? 1;
            using var simulator = new StoreSimulator(seed);
            simulator.Run();
            _output.WriteLine("seed " + seed + ": " + simulator.Figures);
            Assert.True(simulator.Figures.Opens >= 2, "seed " + seed + " never reopened the store");
        }

        private static int? Setting(string name)
            => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : null;
    }
}
