using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Server;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>
    /// A bounded, seeded fuzz of the HTTP engine over real sockets. Each seed makes one case: valid
    /// requests (pipelined), then byte-level mutations. Every case goes through four lanes (one write,
    /// byte at a time, random splits with pauses, held open until the server's timeouts end it), each
    /// against a server of its own. The verdicts: every response documented and well formed, the same
    /// answers and the same store whatever the split, no store change without a 2xx write answer, every
    /// connection ended within its bound, unmutated cases answered exactly, and every server still
    /// serving afterwards. A failure names its seed; replay one with
    /// <c>EMBEDKV_FUZZ_SEED=N dotnet test tests/EmbedKv.Server.Tests --filter FullyQualifiedName~HttpFuzzTests.ReplaysOneSeed</c>.
    /// </summary>
    [Collection(RobustnessCollection.Name)]
    public sealed class HttpFuzzTests
    {
        // About 25 s on a 2-core machine (docs/server.md, Robustness tests). Fixed, not time-based, so
        // every run judges the same cases; EMBEDKV_FUZZ_CASES and EMBEDKV_FUZZ_FIRST_SEED explore others.
        private const int DefaultCases = 3000;

        private readonly ITestOutputHelper _output;

        public HttpFuzzTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void MutatedRequestsGetDocumentedAnswersHoweverTheyAreSplit()
        {
            int first = Setting("EMBEDKV_FUZZ_FIRST_SEED", 1);
            int count = Setting("EMBEDKV_FUZZ_CASES", DefaultCases);
            Run(Enumerable.Range(first, count).Select(FuzzCase.Generate).ToList(), verbose: false);
        }

        /// <summary>One case, every lane's bytes shown; without EMBEDKV_FUZZ_SEED it replays seed 1.</summary>
        [Fact]
        public void ReplaysOneSeed()
        {
            FuzzCase c = FuzzCase.Generate(Setting("EMBEDKV_FUZZ_SEED", 1));
            Run(new List<FuzzCase> { c }, verbose: true);
        }

        /// <summary>
        /// Valid pipelines (each leaves the store as it found it) cut in two at every offset, with a pause
        /// at the cut so the server sees the halves apart: the answers must be those of one write.
        /// </summary>
        [Fact]
        public void SplitAtEveryOffsetGetsTheAnswersOfOneWrite()
        {
            using TestServer server = TestServer.Start(o =>
            {
                o.Workers = 1;
                o.Durability = Durability.None;
            });
            var failures = new List<string>();
            int exchanges = 0;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            foreach ((string name, string text) in EveryOffsetStreams)
            {
                byte[] bytes = Encoding.Latin1.GetBytes(text);
                bool head = text.Contains("HEAD", StringComparison.Ordinal);
                Transcript whole = WireClient.Exchange(server.Port, bytes, WireClient.OneWrite(bytes.Length), null, FuzzRun.Bound(FuzzRun.OneWrite));
                (List<WireResponse> expected, string? error) = ResponseStream.Parse(whole.Received, head);
                if (error is not null)
                {
                    failures.Add(name + ", one write: " + error + "\n    request: " + WireText.Escape(bytes));
                    continue;
                }

                string reference = string.Join("\n      ", expected.Where(r => !r.Interim).Select(r => r.Canonical()));
                string[] leftByOneWrite = Leftovers(server, text);
                if (leftByOneWrite.Length > 0)
                {
                    failures.Add(name + ", one write: the store kept " + string.Join(", ", leftByOneWrite) + "\n    request: " + WireText.Escape(bytes) + "\n    answers:\n      " + reference);
                }

                var wrong = new List<int>();
                string? first = null;
                for (int cut = 1; cut < bytes.Length; cut++)
                {
                    Transcript split = WireClient.Exchange(server.Port, bytes, new[] { cut, bytes.Length }, _ => 1, FuzzRun.Bound(FuzzRun.OneWrite));
                    exchanges++;
                    (List<WireResponse> got, string? splitError) = ResponseStream.Parse(split.Received, head);
                    string actual = splitError ?? string.Join("\n      ", got.Where(r => !r.Interim).Select(r => r.Canonical()));
                    string[] left = Leftovers(server, text);
                    if (left.Length > 0)
                    {
                        actual += "\n      and the store kept " + string.Join(", ", left);
                    }

                    if (actual != reference || split.End == WireEnd.StillOpen)
                    {
                        wrong.Add(cut);
                        first ??= "at offset " + cut + " (" + split.End + "):\n      " + actual;
                    }
                }

                if (wrong.Count > 0)
                {
                    failures.Add(name + ": " + wrong.Count + " of " + (bytes.Length - 1) + " cuts differ from one write (offsets " + string.Join(", ", wrong.Take(20)) + (wrong.Count > 20 ? ", …" : string.Empty)
                        + ")\n    request: " + WireText.Escape(bytes) + "\n    one write:\n      " + reference + "\n    " + first);
                }
            }

            _output.WriteLine(exchanges + " split exchanges in " + clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }

        /// <summary>
        /// Every stream leaves the store as it found it, so any of its keys ("/eoN") still there was written
        /// by a request that should not have been carried out; it is removed for the next cut.
        /// </summary>
        private static string[] Leftovers(TestServer server, string text)
        {
            string[] keys = System.Text.RegularExpressions.Regex.Matches(text, "/(eo[0-9]+)").Select(m => m.Groups[1].Value).Distinct().ToArray();
            string[] left = keys.Where(k => server.Server.Store.Contains(Encoding.ASCII.GetBytes(k))).ToArray();
            foreach (string key in left)
            {
                server.Server.Store.Delete(Encoding.ASCII.GetBytes(key));
            }

            return left;
        }

        private static IEnumerable<(string Name, string Text)> EveryOffsetStreams => new[]
        {
            ("Content-Length PUT, GET, DELETE", "PUT /eo1 HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhelloGET /eo1 HTTP/1.1\r\nHost: t\r\n\r\nDELETE /eo1 HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("chunked POST with extension and trailer, HEAD, DELETE", "POST /eo2 HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\na\r\n0123456789\r\n0\r\nX-T: v\r\n\r\nHEAD /eo2 HTTP/1.1\r\nHost: t\r\n\r\nDELETE /eo2 HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("Expect: 100-continue PUT, GET, DELETE", "PUT /eo3 HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabcGET /eo3 HTTP/1.1\r\nHost: t\r\n\r\nDELETE /eo3 HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("HTTP/1.0 keep-alive PUT, GET, then DELETE without keep-alive", "PUT /eo4 HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nhiGET /eo4 HTTP/1.0\r\nConnection: keep-alive\r\n\r\nDELETE /eo4 HTTP/1.0\r\n\r\n"),
            ("leading CRLF, encoded key, absolute form, then a malformed field", "\r\nGET /absent%41 HTTP/1.1\r\nHost: t\r\n\r\nGET http://t/absent?x=1 HTTP/1.1\r\nHost: t\r\n\r\nGET /x HTTP/1.1\r\nHost: t\r\nBad Header\r\n\r\n"),
            ("405 keeps the connection, 417 too", "OPTIONS /x HTTP/1.1\r\nHost: t\r\n\r\nPUT /eo7 HTTP/1.1\r\nHost: t\r\nExpect: 200-ok\r\nContent-Length: 0\r\n\r\nGET /eo7 HTTP/1.1\r\nHost: t\r\n\r\n"),
            ("nothing after Connection: close", "GET /absent HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\nPUT /eo6 HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nx"),
        };

        private void Run(List<FuzzCase> cases, bool verbose)
        {
            using var run = new FuzzRun();

            // A server fault that kills the process kills the test host too, and the test's output with it:
            // name the seeds in flight on stderr and in a file while the process still can.
            string crashFile = Path.Combine(Path.GetTempPath(), "embedkv-fuzz-crash.txt");
            UnhandledExceptionEventHandler dying = (_, e) =>
            {
                string note = "EmbedKv fuzz: the process is dying during " + run.InFlight + ": " + e.ExceptionObject;
                Console.Error.WriteLine(note);
                File.WriteAllText(crashFile, note);
            };
            AppDomain.CurrentDomain.UnhandledException += dying;
            List<FuzzFailure> failures;
            string figures;
            try
            {
                // Far above the expected time: a stop, not a measure (a run that hits it fails).
                failures = run.Run(cases, TimeSpan.FromSeconds(60 + (0.1 * cases.Count)), out figures);
            }
            finally
            {
                AppDomain.CurrentDomain.UnhandledException -= dying;
            }

            _output.WriteLine(figures);
            if (verbose)
            {
                foreach (FuzzCase c in cases)
                {
                    _output.WriteLine(Describe(c));
                    foreach ((string lane, LaneOutcome?[] outcomes) in run.Outcomes)
                    {
                        LaneOutcome? o = outcomes[0];
                        _output.WriteLine(lane + ": " + (o is null ? "not run" : o.Transcript.End + " after " + o.Transcript.EndedAfter.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture) + " ms, received " + WireText.Escape(o.Transcript.Received)
                            + (o.Transcript.SendError is { } e ? ", send failed: " + e : string.Empty)));
                    }
                }
            }

            Assert.True(failures.Count == 0, Report(failures, cases));
        }

        private static string Report(List<FuzzFailure> failures, List<FuzzCase> cases)
        {
            var text = new StringBuilder();
            var bySeed = cases.ToDictionary(c => c.Seed);
            foreach (IGrouping<string, FuzzFailure> kind in failures.GroupBy(f => f.Kind).OrderByDescending(g => g.Count()))
            {
                int[] seeds = kind.Select(f => f.Seed).Distinct().OrderBy(s => s).ToArray();
                text.Append("\n== ").Append(kind.Key).Append(": ").Append(kind.Count()).Append(" failures in ").Append(seeds.Length)
                    .Append(" cases; lanes ").Append(string.Join(", ", kind.Select(f => f.Lane).Distinct())).Append("; seeds ")
                    .Append(string.Join(", ", seeds.Take(15))).Append(seeds.Length > 15 ? ", …" : string.Empty).Append('\n');
                foreach (FuzzFailure f in kind.GroupBy(f => f.Seed).Take(3).Select(g => g.First()))
                {
                    text.Append("  seed ").Append(f.Seed).Append(" (").Append(f.Lane).Append("): ").Append(f.Detail).Append('\n');
                    if (bySeed.TryGetValue(f.Seed, out FuzzCase? c))
                    {
                        text.Append("    ").Append(Describe(c).Replace("\n", "\n    ", StringComparison.Ordinal)).Append('\n');
                    }
                }
            }

            return text.ToString();
        }

        private static string Describe(FuzzCase c) =>
            "case " + c.Seed + ": " + string.Join(", ", c.Requests.Select(r => (r.Http10 ? "1.0 " : string.Empty) + r.Verb + (r.Chunked ? " chunked" : string.Empty) + " " + r.Key + (r.Closes ? " (closes)" : string.Empty)))
            + "; mutations: " + (c.Mutated ? string.Join("; ", c.Mutations) : "none")
            + "\nbytes: " + WireText.Escape(c.Bytes)
            + "\nreplay: EMBEDKV_FUZZ_SEED=" + c.Seed + " dotnet test tests/EmbedKv.Server.Tests --filter FullyQualifiedName~HttpFuzzTests.ReplaysOneSeed";

        private static int Setting(string name, int fallback)
            => int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) ? value : fallback;
    }

    /// <summary>The fuzz and the soak load every core and measure latency: they run alone, after the parallel tests.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class RobustnessCollection
    {
        public const string Name = "robustness";
    }
}
