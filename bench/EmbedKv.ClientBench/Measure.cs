// How a cell is measured: throughput of many callers in a closed loop, and the latency of one caller alone.
// Both count what the whole process allocated and spent in CPU over the cell, because the client's cost
// beside raw HttpClient is mostly allocation and CPU on the caller's side, which the server never sees.
using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.ClientBench
{
    /// <summary>One cell's figures. Latencies are 0 for a throughput cell.</summary>
    internal readonly record struct Sample(
        long Ops,
        long Errors,
        double Seconds,
        double AllocatedPerOp,
        double CpuMicrosPerOp,
        double ClientCpuPercent,
        int Gen0Collections,
        double P50Micros,
        double P99Micros,
        double ServerCorePercent)
    {
        public double PerSecond => Ops / Seconds;

        /// <summary>The line bench/lib/client.sh reads: the cell's name and round, then the figures.</summary>
        public string Line(string cell, int round) => string.Create(CultureInfo.InvariantCulture,
            $"{cell} {round} {Ops} {Errors} {Seconds:F3} {PerSecond:F0} {AllocatedPerOp:F0} {CpuMicrosPerOp:F2} {ClientCpuPercent:F0} {Gen0Collections} {P50Micros:F1} {P99Micros:F1} {ServerCorePercent:F0}");
    }

    internal static class Measure
    {
        private static int s_reported;

        /// <summary>
        /// <paramref name="callers"/> async callers, each sending its next request as soon as the last is
        /// answered, for <paramref name="seconds"/>. Operations per second count every call begun before the
        /// stop, over the time until the last of them ended.
        /// </summary>
        public static async Task<Sample> ClosedLoopAsync(Func<int, long, Task> op, int callers, double seconds, int serverCpu)
        {
            Settle();
            var stop = new Stop();
            long[] ops = new long[callers];
            long[] errors = new long[callers];
            var start = Snapshot.Start(serverCpu);
            var tasks = new Task[callers];
            for (int c = 0; c < callers; c++)
            {
                int caller = c;
                tasks[c] = Task.Run(() => CallerAsync(op, caller, stop, ops, errors));
            }

            await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
            stop.Set();
            await Task.WhenAll(tasks).ConfigureAwait(false);
            var end = Snapshot.End(serverCpu);
            long total = 0, failed = 0;
            for (int c = 0; c < callers; c++)
            {
                total += ops[c];
                failed += errors[c];
            }

            return start.To(end, total, failed, 0, 0);
        }

        /// <summary>
        /// One caller, one request at a time, for <paramref name="seconds"/> or until <paramref name="times"/>
        /// is full; each request's time from before SendAsync to the caller holding the answer.
        /// </summary>
        public static async Task<Sample> SingleCallerAsync(Func<int, long, Task> op, double seconds, long[] times, int serverCpu)
        {
            Settle();
            var start = Snapshot.Start(serverCpu);
            long deadline = start.Time + (long)(seconds * Stopwatch.Frequency);
            long n = 0, failed = 0;
            while (n < times.Length)
            {
                long before = Stopwatch.GetTimestamp();
                if (before >= deadline)
                {
                    break;
                }

                try
                {
                    await op(0, n).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failed++;
                    Report(e);
                }

                times[n++] = Stopwatch.GetTimestamp() - before;
            }

            var end = Snapshot.End(serverCpu);
            Array.Sort(times, 0, (int)n);
            return start.To(end, n, failed, Micros(times[Rank(n, 0.50)]), Micros(times[Rank(n, 0.99)]));
        }

        // Nearest rank: the smallest sample with at least that share of the samples at or below it.
        private static int Rank(long n, double share) => (int)Math.Max(0, Math.Ceiling(share * n) - 1);

        private static double Micros(long ticks) => ticks * 1e6 / Stopwatch.Frequency;

        private static async Task CallerAsync(Func<int, long, Task> op, int caller, Stop stop, long[] ops, long[] errors)
        {
            long n = 0, failed = 0;
            while (!stop.IsSet)
            {
                try
                {
                    await op(caller, n).ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    failed++;
                    Report(e);
                }

                n++;
            }

            ops[caller] = n;
            errors[caller] = failed;
        }

        // The previous cell's garbage is collected before this one starts, so that its collections are not
        // paid for here, and a finalizer of the last cell does not run in this one.
        private static void Settle()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
        }

        // A failing cell would fail every call: the first failure says why, the count says how often.
        private static void Report(Exception e)
        {
            if (Interlocked.Exchange(ref s_reported, 1) == 0)
            {
                Console.Error.WriteLine("clientbench: a call failed: " + e);
            }
        }

        private sealed class Stop
        {
            private volatile bool _set;

            public bool IsSet => _set;

            public void Set() => _set = true;
        }

        /// <summary>The counters a cell's figures are differences of.</summary>
        private readonly record struct Snapshot(long Time, long Allocated, TimeSpan Cpu, int Gen0, long ServerBusy, long ServerTotal)
        {
            // /proc/stat is read outside the window the allocation counter spans: before it at the start, after it at the end.
            public static Snapshot Start(int serverCpu)
            {
                (long busy, long total) = CoreTicks(serverCpu);
                return new Snapshot(Stopwatch.GetTimestamp(), GC.GetTotalAllocatedBytes(precise: true), Environment.CpuUsage.TotalTime, GC.CollectionCount(0), busy, total);
            }

            public static Snapshot End(int serverCpu)
            {
                var counters = new Snapshot(Stopwatch.GetTimestamp(), GC.GetTotalAllocatedBytes(precise: true), Environment.CpuUsage.TotalTime, GC.CollectionCount(0), 0, 0);
                (long busy, long total) = CoreTicks(serverCpu);
                return counters with { ServerBusy = busy, ServerTotal = total };
            }

            public Sample To(Snapshot end, long ops, long errors, double p50, double p99)
            {
                long allocated = end.Allocated - Allocated;
                double cpu = (end.Cpu - Cpu).TotalMicroseconds;
                double seconds = (double)(end.Time - Time) / Stopwatch.Frequency;
                double server = end.ServerTotal > ServerTotal ? 100.0 * (end.ServerBusy - ServerBusy) / (end.ServerTotal - ServerTotal) : 0;
                long per = Math.Max(ops, 1);
                return new Sample(ops, errors, seconds, (double)allocated / per, cpu / per, cpu / 1e4 / seconds, end.Gen0 - Gen0, p50, p99, server);
            }

            // Busy and total clock ticks of one core, every process on it counted (user, nice, system, irq, softirq, steal busy).
            private static (long Busy, long Total) CoreTicks(int cpu)
            {
                string name = "cpu" + cpu.ToString(CultureInfo.InvariantCulture) + " ";
                foreach (string line in File.ReadLines("/proc/stat"))
                {
                    if (line.StartsWith(name, StringComparison.Ordinal))
                    {
                        string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        long[] v = new long[f.Length];
                        for (int i = 1; i < f.Length; i++)
                        {
                            v[i] = long.Parse(f[i], CultureInfo.InvariantCulture);
                        }

                        long busy = v[1] + v[2] + v[3] + v[6] + v[7] + v[8];
                        return (busy, busy + v[4] + v[5]);
                    }
                }

                return (0, 0);
            }
        }
    }
}
