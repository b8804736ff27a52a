// The direct gRPC load of bench/run.sh etcd (bench/lib/etcd.sh starts the cluster and writes the report).
// etcd's own `benchmark` tool (tools/benchmark in etcd's source) is not packaged by Debian, so this does what
// its `put` and `range` commands do, as one cell per run:
//   dotnet EmbedKv.EtcdBench.dll --endpoints URL[,URL...] --op put|put-prev|txn|range --clients N [--conns C]
//       [--seconds 5] [--warmup 1] [--keys 10000] [--prefix grpc/] [--key get64] [--value-size 64]
//       [--server-cpu 1 --client-cpu 0 --etcd-pids PID,PID,PID --hz 100]
// --clients callers in a closed loop (each sends its next request when the last is answered), spread over
// --conns EtcdClient instances (each one gRPC channel, with one HTTP/2 connection per endpoint, round-robin
// across them, as EmbedKv.Etcd connects). put: a plain Put of --value-size bytes to PREFIX p<1..KEYS>, a
// random key per request (`benchmark put`); put-prev: that Put asking for the previous value (prev_kv), as
// EmbedKv's needs to answer 201 or 204; txn: the same put as EmbedKv sends it, a Txn of one Put with
// prev_kv; range: a linearizable Range of --key (`benchmark range KEY --consistency=l`). After --warmup
// seconds not counted, --seconds measured: prints one line "ops errors seconds ops_per_s p50_us p99_us
// server_core_busy% client_core_busy% etcd_cpu_us_per_op" (latency from before the call to the answer in
// hand, nearest rank; the cores' busy share from /proc/stat and the CPU time of the --etcd-pids processes,
// in --hz ticks, over the measured window only, which the calling script cannot see from outside). Exits 1
// if any call failed.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace EmbedKv.EtcdBench
{
    internal static class Program
    {
        /// <summary>As EmbedKv.Etcd's default RequestTimeout: a call that takes longer counts as failed.</summary>
        private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

        private static int s_reported;

        private static async Task<int> Main(string[] args)
        {
            Dictionary<string, string> options;
            try
            {
                options = Options(args);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine("etcdbench: " + e.Message);
                return 2;
            }

            string endpoints = options["--endpoints"];
            string op = options["--op"];
            int clients = Int(options, "--clients", 32);
            int conns = Int(options, "--conns", 1);
            double seconds = Double(options, "--seconds", 5);
            double warmup = Double(options, "--warmup", 1);
            int keyCount = Int(options, "--keys", 10_000);
            string prefix = options.GetValueOrDefault("--prefix", "grpc/");
            ByteString rangeKey = ByteString.CopyFromUtf8(options.GetValueOrDefault("--key", "get64"));
            ByteString value = ByteString.CopyFromUtf8(new string('v', Int(options, "--value-size", 64)));
            int serverCpu = Int(options, "--server-cpu", 1);
            int clientCpu = Int(options, "--client-cpu", 0);
            int hz = Int(options, "--hz", 100);
            int[] etcdPids = options.TryGetValue("--etcd-pids", out string? pids)
                ? pids.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(pid => int.Parse(pid, CultureInfo.InvariantCulture)).ToArray()
                : Array.Empty<int>();
            ByteString[] keys = Enumerable.Range(1, keyCount).Select(n => ByteString.CopyFromUtf8(prefix + "p" + n.ToString(CultureInfo.InvariantCulture))).ToArray();
            if (op is not ("put" or "put-prev" or "txn" or "range"))
            {
                Console.Error.WriteLine("etcdbench: --op must be put, put-prev, txn or range");
                return 2;
            }

            // As EmbedKv.Etcd's EtcdStore.Connect builds its client.
            var connections = new EtcdClient[conns];
            for (int i = 0; i < conns; i++)
            {
                connections[i] = new EtcdClient(endpoints, configureChannelOptions: channel => channel.MaxReceiveMessageSize = null);
            }

            try
            {
                Func<int, Task>[] calls = connections.Select(client => Call(op, client, keys, value, rangeKey)).ToArray();
                var run = new Run();
                var callers = new Task<Caller>[clients];
                for (int c = 0; c < clients; c++)
                {
                    Func<int, Task> send = calls[c % conns];
                    callers[c] = Task.Run(() => Loop(send, keyCount, run));
                }

                await Task.Delay(TimeSpan.FromSeconds(warmup)).ConfigureAwait(false);
                Ticks before = Ticks.Read(serverCpu, clientCpu, etcdPids);
                long start = Stopwatch.GetTimestamp();
                run.Measure();
                await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
                run.Stop();
                double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                Ticks after = Ticks.Read(serverCpu, clientCpu, etcdPids);
                Caller[] done = await Task.WhenAll(callers).ConfigureAwait(false);
                long[] times = done.SelectMany(caller => caller.Times).ToArray();
                Array.Sort(times);
                long ops = times.Length;
                long errors = done.Sum(caller => caller.Errors);
                double etcdPerOp = (after.Processes - before.Processes) * 1e6 / hz / Math.Max(ops, 1);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{ops} {errors} {elapsed:F3} {ops / elapsed:F0} {Micros(times, 0.50):F0} {Micros(times, 0.99):F0} {Ticks.Busy(before.Server, after.Server):F0} {Ticks.Busy(before.Client, after.Client):F0} {etcdPerOp:F1}"));
                return errors == 0 ? 0 : 1;
            }
            finally
            {
                foreach (EtcdClient client in connections)
                {
                    client.Dispose();
                }
            }
        }

        /// <summary>The request of --op for key number n, on one client's connection, bounded as EmbedKv.Etcd bounds its calls.</summary>
        private static Func<int, Task> Call(string op, EtcdClient client, ByteString[] keys, ByteString value, ByteString rangeKey)
        {
            KV.KVClient kv = client.GetConnection().KVClient;
            return op switch
            {
                "put" => async n => await kv.PutAsync(new PutRequest { Key = keys[n], Value = value }, deadline: DateTime.UtcNow + Deadline).ResponseAsync.ConfigureAwait(false),
                "put-prev" => async n => await kv.PutAsync(new PutRequest { Key = keys[n], Value = value, PrevKv = true }, deadline: DateTime.UtcNow + Deadline).ResponseAsync.ConfigureAwait(false),
                "txn" => n => TxnPutAsync(kv, keys[n], value),
                _ => async _ => await kv.RangeAsync(new RangeRequest { Key = rangeKey }, deadline: DateTime.UtcNow + Deadline).ResponseAsync.ConfigureAwait(false),
            };
        }

        /// <summary>A put as EmbedKv.Etcd sends one without a condition: a Txn of one Put that asks for the previous value.</summary>
        private static async Task TxnPutAsync(KV.KVClient kv, ByteString key, ByteString value)
        {
            var txn = new TxnRequest();
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = key, Value = value, PrevKv = true } });
            await kv.TxnAsync(txn, deadline: DateTime.UtcNow + Deadline).ResponseAsync.ConfigureAwait(false);
        }

        /// <summary>One caller's closed loop: warm-up calls are not kept; measured ones keep their time.</summary>
        private static async Task<Caller> Loop(Func<int, Task> send, int keyCount, Run run)
        {
            var result = new Caller();
            while (run.Phase != Run.Stopped)
            {
                long before = Stopwatch.GetTimestamp();
                bool measured = run.Phase == Run.Measuring;
                try
                {
                    await send(Random.Shared.Next(keyCount)).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    if (measured)
                    {
                        result.Errors++;
                    }

                    if (Interlocked.Exchange(ref s_reported, 1) == 0)
                    {
                        Console.Error.WriteLine("etcdbench: a call failed: " + e.Message);
                    }

                    continue;
                }

                // Counted if it began in the measured window (as wrk counts what it sent before the end).
                if (measured)
                {
                    result.Times.Add(Stopwatch.GetTimestamp() - before);
                }
            }

            return result;
        }

        // Nearest rank: the smallest sample with at least that share of the samples at or below it.
        private static double Micros(long[] sorted, double share)
        {
            if (sorted.Length == 0)
            {
                return 0;
            }

            long rank = (long)Math.Max(0, Math.Ceiling(share * sorted.Length) - 1);
            return sorted[rank] * 1e6 / Stopwatch.Frequency;
        }

        private static Dictionary<string, string> Options(string[] args)
        {
            var options = new Dictionary<string, string>(StringComparer.Ordinal);
            for (int i = 0; i < args.Length; i += 2)
            {
                if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                {
                    throw new ArgumentException("expected --name value pairs, got '" + args[i] + "'");
                }

                options[args[i]] = args[i + 1];
            }

            foreach (string required in new[] { "--endpoints", "--op" })
            {
                if (!options.ContainsKey(required))
                {
                    throw new ArgumentException(required + " is required");
                }
            }

            return options;
        }

        private static int Int(Dictionary<string, string> options, string name, int fallback)
            => options.TryGetValue(name, out string? text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

        private static double Double(Dictionary<string, string> options, string name, double fallback)
            => options.TryGetValue(name, out string? text) ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

        /// <summary>Busy and total ticks of the two cores (every process on them), and the CPU ticks of some processes.</summary>
        private readonly record struct Ticks((long Busy, long Total) Server, (long Busy, long Total) Client, long Processes)
        {
            public static Ticks Read(int serverCpu, int clientCpu, int[] pids)
            {
                (long Busy, long Total) server = (0, 0), client = (0, 0);
                foreach (string line in File.ReadLines("/proc/stat"))
                {
                    string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length < 9 || !f[0].StartsWith("cpu", StringComparison.Ordinal) || f[0] == "cpu")
                    {
                        continue;
                    }

                    // user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
                    long[] v = f.Skip(1).Take(8).Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
                    long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
                    int core = int.Parse(f[0].AsSpan(3), CultureInfo.InvariantCulture);
                    if (core == serverCpu)
                    {
                        server = (busy, busy + v[3] + v[4]);
                    }

                    if (core == clientCpu)
                    {
                        client = (busy, busy + v[3] + v[4]);
                    }
                }

                long processes = 0;
                foreach (int pid in pids)
                {
                    // utime and stime are fields 14 and 15, counted from after the command name in parentheses.
                    string stat = File.ReadAllText("/proc/" + pid.ToString(CultureInfo.InvariantCulture) + "/stat");
                    string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    processes += long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture);
                }

                return new Ticks(server, client, processes);
            }

            public static double Busy((long Busy, long Total) before, (long Busy, long Total) after)
                => after.Total > before.Total ? 100.0 * (after.Busy - before.Busy) / (after.Total - before.Total) : 0;
        }

        /// <summary>What one caller brings back: its measured calls' times in Stopwatch ticks, and its failures.</summary>
        private sealed class Caller
        {
            public List<long> Times { get; } = new List<long>();

            public long Errors { get; set; }
        }

        /// <summary>The phase every caller reads before each call: warm-up, measuring, stopped.</summary>
        private sealed class Run
        {
            public const int WarmingUp = 0;
            public const int Measuring = 1;
            public const int Stopped = 2;

            private int _phase;

            public int Phase => Volatile.Read(ref _phase);

            public void Measure() => Volatile.Write(ref _phase, Measuring);

            public void Stop() => Volatile.Write(ref _phase, Stopped);
        }
    }
}
