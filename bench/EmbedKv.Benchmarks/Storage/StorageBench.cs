// Storage throughput, recovery time and index memory, measured by a plain harness rather than
// BenchmarkDotNet: these are multi-threaded throughput and wall-clock figures over seconds, with
// peers (raw fdatasync) interleaved round by round so that machine drift hits every cell alike.
//   dotnet run -c Release --project bench/EmbedKv.Benchmarks -- storage [--seconds 3] [--rounds 3] [--keys N] [--out FILE] [--skip-puts]
// (--skip-puts measures only recovery and the key index, for a quick look; bench/run.sh runs everything)
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;

namespace EmbedKv.Benchmarks.Storage
{
    /// <summary>Runs the storage benchmarks and writes a markdown report.</summary>
    public static class StorageBench
    {
        private static readonly int[] WriterCounts = { 1, 8, 64 };

        /// <summary>Entry point for the "storage" suite.</summary>
        /// <param name="args">Options after the suite name.</param>
        public static void Run(string[] args)
        {
            double seconds = Option(args, "--seconds", 3);
            int rounds = (int)Option(args, "--rounds", 3);
            int recoveryKeys = (int)Option(args, "--keys", 1_000_000);
            string output = OptionText(args, "--out") ?? "bench/results/storage.md";
            string root = Path.Combine(OptionText(args, "--dir") ?? Path.GetTempPath(), "embedkv-bench-" + Environment.ProcessId);
            Directory.CreateDirectory(root);
            try
            {
                var cells = new List<(string Name, Func<double> Measure)>
                {
                    ("raw pwrite+fdatasync per write, 1 writer", () => RawSync.OpsPerSecond(root, seconds)),
                };
                foreach (string mode in args.Contains("--skip-puts") ? [] : new[] { "always", "batched:1000ms", "none" })
                {
                    foreach (int writers in WriterCounts)
                    {
                        string m = mode;
                        int w = writers;
                        cells.Add(("KvStore put 64 B, " + m + ", " + w + " writers", () => PutThroughput.OpsPerSecond(root, m, w, seconds)));
                    }
                }

                // Interleaved rounds: A, B, C, A, B, C, ... so that drift on a shared machine spreads evenly.
                var samples = cells.ToDictionary(c => c.Name, _ => new List<double>());
                for (int round = 1; round <= rounds; round++)
                {
                    foreach ((string name, Func<double> measure) in cells)
                    {
                        double value = measure();
                        samples[name].Add(value);
                        Console.Error.WriteLine("round " + round + ": " + name + ": " + value.ToString("F0", CultureInfo.InvariantCulture) + " ops/s");
                    }
                }

                RecoveryFigures recovery = RecoveryBench.Measure(root, recoveryKeys, rounds);
                OrderedIndexFigures ordered = OrderedIndexBench.Measure(recoveryKeys, rounds);
                string report = Report(samples, recovery, ordered, seconds, rounds);
                Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
                File.WriteAllText(output, report);
                Console.WriteLine(report);
            }
            finally
            {
                Directory.Delete(root, recursive: true);
            }
        }

        private static string Report(Dictionary<string, List<double>> samples, RecoveryFigures recovery, OrderedIndexFigures ordered, double seconds, int rounds)
        {
            double raw = Median(samples.First().Value);
            var text = new StringBuilder();
            text.AppendLine("# Storage benchmarks")
                .AppendLine()
                .AppendLine("Written by `bench/run.sh storage`; do not edit by hand.")
                .AppendLine()
                .AppendLine("- date: " + DateTime.UtcNow.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " UTC; machine cores: " + MachineInfo.CoreCount() + " (this process pinned to " + Environment.ProcessorCount + ")"
                            + "; " + rounds + " interleaved rounds of " + seconds.ToString(CultureInfo.InvariantCulture) + " s per cell; median and range")
                .AppendLine("- data directory on: " + MachineInfo.FileSystemOf(Path.GetTempPath()))
                .AppendLine()
                .AppendLine("| cell | median ops/s | min | max | ratio to raw fdatasync |")
                .AppendLine("|---|---:|---:|---:|---:|");
            foreach ((string name, List<double> values) in samples)
            {
                double median = Median(values);
                text.AppendLine("| " + name + " | " + F(median) + " | " + F(values.Min()) + " | " + F(values.Max()) + " | " + (median / raw).ToString("F1", CultureInfo.InvariantCulture) + "x |");
            }

            text.AppendLine()
                .AppendLine("Recovery and index memory, " + recovery.Keys.ToString("N0", CultureInfo.InvariantCulture) + " keys of 16 bytes with 64-byte values:")
                .AppendLine()
                .AppendLine("| figure | value | goal |")
                .AppendLine("|---|---:|---|")
                .AppendLine("| open (recover) the store, median of " + recovery.OpenSeconds.Count + " | " + Median(recovery.OpenSeconds).ToString("F2", CultureInfo.InvariantCulture) + " s | under 1 s |")
                .AppendLine("| index native bytes per key (reserved) | " + recovery.IndexBytesPerKey.ToString("F1", CultureInfo.InvariantCulture) + " | |")
                .AppendLine("| process resident growth per key after open, key bytes excluded | " + recovery.ResidentBytesPerKey.ToString("F1", CultureInfo.InvariantCulture) + " | under 64 |");
            OrderedIndexReport(text, ordered);
            return text.ToString();
        }

        private static void OrderedIndexReport(StringBuilder text, OrderedIndexFigures ordered)
        {
            string rounds = ordered.LoadSeconds.Count.ToString(CultureInfo.InvariantCulture);
            text.AppendLine()
                .AppendLine("The open above includes the ordered key index: built at once at the end if recovery defers ordering")
                .AppendLine("(KeyIndex.BeginBulkLoad/EndBulkLoad), else key by key. The ordered index itself, measured on the key index")
                .AppendLine("with the same " + ordered.Keys.ToString("N0", CultureInfo.InvariantCulture) + " keys in the same order:")
                .AppendLine()
                .AppendLine("| figure | value | goal |")
                .AppendLine("|---|---:|---|")
                .AppendLine("| load every key as recovery does, ordering deferred (the hash table alone), median of " + rounds + " | " + S(Median(ordered.LoadSeconds)) + " | |")
                .AppendLine("| then build the ordered index at once (EndBulkLoad), median of " + rounds + " | " + S(Median(ordered.BuildSeconds)) + " | open under 1 s in all |")
                .AppendLine("| instead, load every key with the ordered index kept in step, median of " + rounds + " | " + S(Median(ordered.OneByOneSeconds)) + " | |")
                .AppendLine("| 1000-key page from a random key (seek, walk, copy each key out), median of " + ordered.PageMilliseconds.Count.ToString("N0", CultureInfo.InvariantCulture)
                            + " | " + Median(ordered.PageMilliseconds).ToString("F3", CultureInfo.InvariantCulture) + " ms (p99 " + Percentile(ordered.PageMilliseconds, 0.99).ToString("F3", CultureInfo.InvariantCulture) + " ms) | under 2 ms |")
                .AppendLine("| ordered index bytes per key, resident / reserved | " + B(ordered.OrderResidentPerKey) + " / " + B(ordered.OrderReservedPerKey) + " | at most 14 |")
                .AppendLine("| whole key index, resident bytes per key beyond the key bytes (estimate) | " + B(ordered.IndexResidentPerKey) + " | at most 64 |")
                .AppendLine("| insert a new key (" + (ordered.Keys / 5).ToString("N0", CultureInfo.InvariantCulture) + " in random order), ns per op, hash table alone / with the ordered index | "
                            + N(ordered.InsertNanosecondsUnordered) + " / " + N(ordered.InsertNanosecondsOrdered) + " | |")
                .AppendLine("| remove those keys, ns per op, hash table alone / with the ordered index | "
                            + N(ordered.RemoveNanosecondsUnordered) + " / " + N(ordered.RemoveNanosecondsOrdered) + " | |");

            static string S(double seconds) => seconds.ToString("F3", CultureInfo.InvariantCulture) + " s";
            static string B(double bytes) => bytes.ToString("F1", CultureInfo.InvariantCulture);
            static string N(List<double> values) => Median(values).ToString("F0", CultureInfo.InvariantCulture);
        }

        private static double Percentile(List<double> values, double share)
        {
            double[] sorted = values.OrderBy(v => v).ToArray();
            return sorted[Math.Min(sorted.Length - 1, (int)(share * sorted.Length))];
        }

        internal static double Median(List<double> values)
        {
            double[] sorted = values.OrderBy(v => v).ToArray();
            return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
        }

        private static string F(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

        private static double Option(string[] args, string name, double fallback)
            => OptionText(args, name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

        private static string? OptionText(string[] args, string name)
        {
            int at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
        }
    }
}
