// The load program of bench/run.sh client (bench/lib/client.sh starts the hosts and writes the report):
//   dotnet EmbedKv.ClientBench.dll --none URL [--always URL] [--rounds 5] [--seconds 3]
//       [--latency-seconds 2] [--concurrency 32] [--warmup 1] [--server-cpu 1]
// GET 64 B and PUT 64 B through raw HttpClient and through EmbedKvClient, on one HttpClient, against the
// host at --none (durability none; the GETs and the PUTs) and at --always (durable PUTs, if given). Every
// cell once as warm-up, then --rounds interleaved rounds, the order reversed every other round, the raw
// and client sides of a pair always next to each other. Prints one line per measured cell (Sample.Line)
// and "meta KEY VALUE" lines; exits 1 if any call failed.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Runtime;
using System.Threading.Tasks;

namespace EmbedKv.ClientBench
{
    internal static class Program
    {
        private const int ValueLength = 64;

        private static async Task<int> Main(string[] args)
        {
            Dictionary<string, string> options;
            try
            {
                options = Options(args);
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine("clientbench: " + e.Message);
                return 2;
            }

            var none = new Uri(options["--none"]);
            Uri? always = options.TryGetValue("--always", out string? a) ? new Uri(a) : null;
            int rounds = Int(options, "--rounds", 5);
            double seconds = Double(options, "--seconds", 3);
            double latencySeconds = Double(options, "--latency-seconds", 2);
            int concurrency = Int(options, "--concurrency", 32);
            double warmup = Double(options, "--warmup", 1);
            int serverCpu = Int(options, "--server-cpu", 1);

            byte[] value = new byte[ValueLength];
            new Random(17).NextBytes(value);

            // One HttpClient for every cell, as an application holds one: its pool keeps up to --concurrency
            // connections to each host, opened in the warm-up and reused by both sides.
            using var http = new HttpClient();
            var sides = new (string Name, Func<Uri, ICalls> Make)[]
            {
                ("raw", server => new RawCalls(http, server, value)),
                ("client", server => new ClientCalls(http, server, value)),
            };

            // Every PUT key is written before the cells, so that every measured PUT replaces a value (204)
            // on both sides, rather than the first side to reach a key creating it.
            await Prime(http, none, value).ConfigureAwait(false);
            if (always is not null)
            {
                await Prime(http, always, value).ConfigureAwait(false);
            }

            var ops = new List<(string Name, Uri Server, bool Put)> { ("get", none, false), ("put", none, true) };
            if (always is not null)
            {
                ops.Add(("dput", always, true));
            }

            var cells = new List<(string Name, bool Latency, Func<int, long, Task> Op)>();
            foreach (bool latency in new[] { false, true })
            {
                foreach ((string name, Uri server, bool put) in ops)
                {
                    foreach ((string side, Func<Uri, ICalls> make) in sides)
                    {
                        ICalls calls = make(server);
                        Func<int, long, Task> op = put
                            ? (caller, n) => calls.PutAsync((int)(((caller * 97L) + n) % Keys.PutKeys))
                            : (caller, n) => calls.GetAsync();
                        cells.Add(((latency ? "lat-" : "tput-") + name + "-" + side, latency, op));
                    }
                }
            }

            Console.WriteLine("meta processors " + Environment.ProcessorCount);
            Console.WriteLine("meta gc " + (GCSettings.IsServerGC ? "server" : "workstation") + (GCSettings.LatencyMode == GCLatencyMode.Batch ? "" : ",concurrent"));
            Console.WriteLine("meta cells " + string.Join(',', cells.Select(c => c.Name)));

            // Room for a single caller's every request at 5 us each, made before the cells so that it is no
            // cell's allocation.
            long[] times = new long[(int)Math.Min(int.MaxValue / 8, Math.Max(latencySeconds, warmup) * 200_000)];
            long failed = 0;
            for (int round = 0; round <= rounds; round++)
            {
                bool warm = round == 0;
                Console.Error.WriteLine(warm ? $"warm-up: every cell {warmup} s" : $"round {round} of {rounds}");
                IEnumerable<(string Name, bool Latency, Func<int, long, Task> Op)> order = round % 2 == 0 ? Enumerable.Reverse(cells) : cells;
                foreach ((string name, bool latency, Func<int, long, Task> op) in order)
                {
                    Sample sample = latency
                        ? await Measure.SingleCallerAsync(op, warm ? warmup : latencySeconds, times, serverCpu).ConfigureAwait(false)
                        : await Measure.ClosedLoopAsync(op, concurrency, warm ? warmup : seconds, serverCpu).ConfigureAwait(false);
                    failed += sample.Errors;
                    string line = sample.Line(name, round);
                    Console.Error.WriteLine("  " + line);
                    if (!warm)
                    {
                        Console.WriteLine(line);
                    }
                }
            }

            if (failed > 0)
            {
                Console.Error.WriteLine("clientbench: " + failed + " calls failed");
                return 1;
            }

            return 0;
        }

        private static async Task Prime(HttpClient http, Uri server, byte[] value)
        {
            var raw = new RawCalls(http, server, value);
            using (var content = new ByteArrayContent(value))
            {
                using HttpResponseMessage response = await http.PutAsync(new Uri(server, Keys.Get), content).ConfigureAwait(false);
                response.EnsureSuccessStatusCode();
            }

            for (int i = 0; i < Keys.PutKeys; i++)
            {
                await raw.PutAsync(i).ConfigureAwait(false);
            }

            await raw.GetAsync().ConfigureAwait(false);
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

            return options.ContainsKey("--none") ? options : throw new ArgumentException("--none URL is required");
        }

        private static int Int(Dictionary<string, string> options, string name, int fallback)
            => options.TryGetValue(name, out string? text) ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

        private static double Double(Dictionary<string, string> options, string name, double fallback)
            => options.TryGetValue(name, out string? text) ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;
    }
}
