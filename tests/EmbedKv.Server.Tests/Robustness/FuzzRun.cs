using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>
    /// Runs fuzz cases through four lanes, each against a server of its own so each store sees the same
    /// sequence of cases: one write, byte at a time, random splits with pauses (each followed by a
    /// half-close, so the server knows the client is done), and one write held open with no half-close,
    /// where only the server's timeouts can end the connection (many of those run at once, since each waits
    /// for a timeout).
    /// </summary>
    internal sealed class FuzzRun : IDisposable
    {
        public const string OneWrite = "one write";
        public const string ByteAtATime = "byte at a time";
        public const string RandomSplits = "random splits";
        public const string HeldOpen = "held open";

        // Long enough that no timeout fires while a half-closed lane is still sending; the half-close, not
        // a timeout, ends those connections.
        private static readonly TimeSpan SplitLaneTimeout = TimeSpan.FromSeconds(3);

        // Short, so a held-open connection ends quickly; the loops check deadlines once a second.
        private static readonly TimeSpan HeldOpenTimeout = TimeSpan.FromSeconds(1);

        private const int HeldOpenInFlight = 64;

        private readonly Dictionary<string, TestServer> _servers = new Dictionary<string, TestServer>();
        private readonly ConcurrentDictionary<string, int> _current = new ConcurrentDictionary<string, int>();

        public FuzzRun()
        {
            try
            {
                foreach (string lane in new[] { OneWrite, ByteAtATime, RandomSplits, HeldOpen })
                {
                    TimeSpan timeout = lane == HeldOpen ? HeldOpenTimeout : SplitLaneTimeout;

                    // Durability.None: these cases are about framing, not fsync, and fsync would be most of their time.
                    _servers[lane] = TestServer.Start(o =>
                    {
                        o.Workers = 1;
                        o.Durability = Durability.None;
                        o.Limits.HeaderTimeout = o.Limits.BodyTimeout = o.Limits.IdleTimeout = timeout;
                        FuzzLimits.Apply(o);
                    });
                }
            }
            catch
            {
                Dispose();
                throw;
            }
        }

        /// <summary>How long after its last byte a connection may stay open: its timeout, one timer tick, and slack for a loaded machine.</summary>
        public static TimeSpan Bound(string lane) => (lane == HeldOpen ? HeldOpenTimeout : SplitLaneTimeout) + TimeSpan.FromSeconds(3.5);

        /// <summary>Seeds in flight per lane (the held-open lane: its latest), for the report if the process dies.</summary>
        public string InFlight => string.Join(", ", _current.Select(p => p.Key + ": seed " + p.Value));

        /// <summary>What each lane saw in the last run, per case.</summary>
        public Dictionary<string, LaneOutcome?[]> Outcomes { get; } = new Dictionary<string, LaneOutcome?[]>();

        public List<FuzzFailure> Run(IReadOnlyList<FuzzCase> cases, TimeSpan budget, out string figures)
        {
            var clock = Stopwatch.StartNew();
            Dictionary<string, LaneOutcome?[]> outcomes = Outcomes;
            outcomes.Clear();
            var failures = new ConcurrentBag<FuzzFailure>();
            var laneTimes = new ConcurrentDictionary<string, TimeSpan>();
            var tasks = new List<Task>();
            foreach (string lane in new[] { OneWrite, ByteAtATime, RandomSplits })
            {
                outcomes[lane] = new LaneOutcome?[cases.Count];
                LaneOutcome?[] results = outcomes[lane];
                tasks.Add(Task.Factory.StartNew(() => RunSequential(lane, cases, results, clock, budget, failures, laneTimes), TaskCreationOptions.LongRunning));
            }

            outcomes[HeldOpen] = new LaneOutcome?[cases.Count];
            tasks.Add(RunHeldOpen(cases, outcomes[HeldOpen], clock, budget, failures, laneTimes));
            Task.WaitAll(tasks.ToArray());
            TimeSpan elapsed = clock.Elapsed;

            for (int i = 0; i < cases.Count; i++)
            {
                foreach ((string lane, LaneOutcome?[] results) in outcomes)
                {
                    if (results[i] is { } outcome)
                    {
                        IEnumerable<FuzzFailure> found = FuzzOracle.CheckLane(cases[i], lane, outcome, Bound(lane));
                        if (lane != OneWrite && outcomes[OneWrite][i] is { } reference)
                        {
                            found = found.Concat(FuzzOracle.Compare(cases[i], OneWrite, reference, lane, outcome));
                        }

                        foreach (FuzzFailure failure in found)
                        {
                            failures.Add(failure);
                        }
                    }
                }
            }

            foreach ((string lane, TestServer server) in _servers)
            {
                string? health = Health(server);
                if (health is not null)
                {
                    failures.Add(new FuzzFailure(0, lane, "the server no longer serves", health));
                }
            }

            int done = outcomes.Values.Min(r => r.Count(o => o is not null));
            int exchanges = outcomes.Values.Sum(r => r.Count(o => o is not null));
            var statuses = outcomes[OneWrite].Where(o => o is not null).SelectMany(o => o!.Final).GroupBy(r => r.Status).OrderBy(g => g.Key);
            figures = string.Format(
                System.Globalization.CultureInfo.InvariantCulture,
                "{0} cases ({1} mutated) in {2:F1} s: {3:F0} cases/s, {4} exchanges ({5:F0}/s) over 4 lanes; lane times {6}; final answers in the one-write lane: {7}",
                done,
                cases.Take(done).Count(c => c.Mutated),
                elapsed.TotalSeconds,
                done / elapsed.TotalSeconds,
                exchanges,
                exchanges / elapsed.TotalSeconds,
                string.Join(", ", laneTimes.OrderBy(p => p.Key).Select(p => p.Key + " " + p.Value.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " s")),
                string.Join(" ", statuses.Select(g => g.Key + "x" + g.Count())));
            return failures.ToList();
        }

        public void Dispose()
        {
            foreach (TestServer server in _servers.Values)
            {
                server.Dispose();
            }
        }

        private void RunSequential(string lane, IReadOnlyList<FuzzCase> cases, LaneOutcome?[] results, Stopwatch clock, TimeSpan budget, ConcurrentBag<FuzzFailure> failures, ConcurrentDictionary<string, TimeSpan> times)
        {
            TestServer server = _servers[lane];
            int stuck = 0;
            for (int i = 0; i < cases.Count; i++)
            {
                FuzzCase c = cases[i];
                if (clock.Elapsed > budget || stuck >= 5)
                {
                    failures.Add(new FuzzFailure(c.Seed, lane, "the run stopped early", stuck >= 5 ? "5 connections in a row did not end" : "over the time budget of " + budget));
                    break;
                }

                _current[lane] = c.Seed;
                int before = server.Server.Store.Count;
                var random = new Random(c.Seed ^ 0x5EED);
                int[] ends = lane switch
                {
                    OneWrite => WireClient.OneWrite(c.Bytes.Length),
                    ByteAtATime => WireClient.ByteAtATime(c.Bytes.Length),
                    _ => WireClient.RandomSplits(c.Bytes.Length, random),
                };
                Func<int, int>? pause = lane == RandomSplits ? _ => random.Next(3) : null;
                Transcript transcript = WireClient.Exchange(server.Port, c.Bytes, ends, pause, Bound(lane));
                stuck = transcript.End == WireEnd.StillOpen ? stuck + 1 : 0;
                results[i] = Outcome(c, transcript, server, server.Server.Store.Count - before);
            }

            times[lane] = clock.Elapsed;
        }

        private async Task RunHeldOpen(IReadOnlyList<FuzzCase> cases, LaneOutcome?[] results, Stopwatch clock, TimeSpan budget, ConcurrentBag<FuzzFailure> failures, ConcurrentDictionary<string, TimeSpan> times)
        {
            TestServer server = _servers[HeldOpen];
            var transcripts = new Transcript?[cases.Count];
            using var slots = new SemaphoreSlim(HeldOpenInFlight);
            var running = new List<Task>();
            for (int i = 0; i < cases.Count; i++)
            {
                await slots.WaitAsync();
                if (clock.Elapsed > budget)
                {
                    slots.Release();
                    failures.Add(new FuzzFailure(cases[i].Seed, HeldOpen, "the run stopped early", "over the time budget of " + budget));
                    break;
                }

                int index = i;
                _current[HeldOpen] = cases[i].Seed;
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        transcripts[index] = await WireClient.ExchangeHeldOpenAsync(server.Port, cases[index].Bytes, Bound(HeldOpen));
                    }
                    finally
                    {
                        slots.Release();
                    }
                }));
            }

            await Task.WhenAll(running);

            // Cases overlap here, so the store is read per key only (keys are unique to their case), after all are done.
            for (int i = 0; i < cases.Count; i++)
            {
                if (transcripts[i] is { } transcript)
                {
                    results[i] = Outcome(cases[i], transcript, server, countDelta: null);
                }
            }

            times[HeldOpen] = clock.Elapsed;
        }

        private static LaneOutcome Outcome(FuzzCase c, Transcript transcript, TestServer server, int? countDelta)
        {
            (List<WireResponse> responses, string? error) = ResponseStream.Parse(transcript.Received, c.HeadPossible);
            (Dictionary<string, byte[]?>? keys, string? keyError) = ReadKeys(server, c.Keys.ToList());
            return new LaneOutcome(transcript, responses, error, keys, keyError, countDelta);
        }

        /// <summary>
        /// GETs every key on a fresh connection, pipelined, the last with Connection: close. A key over the
        /// key limit cannot be asked for (414), so the store is asked directly whether it took it anyway.
        /// </summary>
        private static (Dictionary<string, byte[]?>?, string?) ReadKeys(TestServer server, List<string> keys)
        {
            var found = new Dictionary<string, byte[]?>();
            foreach (string key in keys.Where(k => k.Length > FuzzLimits.KeyLength))
            {
                found[key] = server.Server.Store.Get(Encoding.Latin1.GetBytes(key));
            }

            keys = keys.Where(k => k.Length <= FuzzLimits.KeyLength).ToList();
            if (keys.Count == 0)
            {
                return (found, null);
            }

            var request = new StringBuilder();
            for (int i = 0; i < keys.Count; i++)
            {
                request.Append("GET ").Append(FuzzCase.Encode(keys[i])).Append(" HTTP/1.1\r\nHost: t\r\n").Append(i == keys.Count - 1 ? "Connection: close\r\n\r\n" : "\r\n");
            }

            Transcript t = WireClient.Exchange(server.Port, Encoding.ASCII.GetBytes(request.ToString()), WireClient.OneWrite(request.Length), null, TimeSpan.FromSeconds(10));
            (List<WireResponse> responses, string? error) = ResponseStream.Parse(t.Received, headPossible: false);
            if (error is not null || responses.Count != keys.Count || responses.Any(r => r.Status is not (200 or 404)))
            {
                return (null, "GET of [" + string.Join(", ", keys) + "]: " + (error ?? string.Join(", ", responses.Select(r => r.StatusLine))) + " (" + t.End + ")");
            }

            for (int i = 0; i < keys.Count; i++)
            {
                found[keys[i]] = responses[i].Status == 200 ? responses[i].Body : null;
            }

            return (found, null);
        }

        /// <summary>After the run: a write and a read on a fresh connection still work.</summary>
        private static string? Health(TestServer server)
        {
            byte[] request = Encoding.ASCII.GetBytes("PUT /health HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nokGET /health HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            Transcript t = WireClient.Exchange(server.Port, request, WireClient.OneWrite(request.Length), null, TimeSpan.FromSeconds(10));
            (List<WireResponse> responses, string? error) = ResponseStream.Parse(t.Received, headPossible: false);
            bool fine = error is null && responses.Count == 2 && (responses[0].Status is 201 or 204) && responses[1].Status == 200 && responses[1].Body.AsSpan().SequenceEqual("ok"u8);
            return fine ? null : "PUT and GET on a fresh connection after the run: " + (error ?? string.Join(", ", responses)) + " (" + t.End + ")";
        }
    }
}
