using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using EmbedKv.Runtime.Interop;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// Real process crashes: a child (tests/EmbedKv.Server.CrashWriter) works on a store and is killed
    /// with SIGKILL, then this process reopens what it left. Unlike the simulated power cuts of
    /// FaultInjectingDirectory, the page cache survives, so this checks the store's own recovery of
    /// whatever a process can leave half done: torn tails, a merge stopped at any step, leftovers.
    /// </summary>
    public sealed class ProcessCrashTests : IDisposable
    {
        private const int Rounds = 20;

        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public ProcessCrashTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void EveryAcknowledgedWriteSurvivesSigkillRoundAfterRound()
        {
            var random = new Random(20250611);
            var model = new Dictionary<string, string>(StringComparer.Ordinal); // key -> version or "deleted"
            var total = Stopwatch.StartNew();
            int acknowledged = 0;
            int inFlightLanded = 0;
            for (int round = 1; round <= Rounds; round++)
            {
                int runMilliseconds = random.Next(100, 601);
                List<string> lines;
                using (var child = ChildProcess.Start("write", _dir.Path, round.ToString(CultureInfo.InvariantCulture)))
                {
                    // The clock starts at the first acknowledgement, so a slow start (JIT, recovery of the
                    // last round's leftovers, a loaded machine) never leaves a round with nothing to check.
                    child.WaitForLine(line => line.StartsWith("ack", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
                    Thread.Sleep(runMilliseconds);
                    lines = child.KillAndDrain();
                }

                // Replay the child's output: per writer, the last acknowledged state of each key, and the
                // one write it may have had in flight when it died (a "try" with no "ack").
                var acked = new Dictionary<string, string>(StringComparer.Ordinal);
                var inFlight = new Dictionary<int, (string Key, string State)>();
                int roundAcks = 0;
                foreach (string line in lines)
                {
                    string[] parts = line.Split(' ');
                    if (parts.Length != 4 || (parts[0] != "try" && parts[0] != "ack"))
                    {
                        continue; // "ready"
                    }

                    int writer = int.Parse(parts[1], CultureInfo.InvariantCulture);
                    if (parts[0] == "try")
                    {
                        Assert.False(inFlight.ContainsKey(writer), "round " + round + ": writer " + writer + " began a write before its last was acknowledged");
                        inFlight[writer] = (parts[2], parts[3]);
                    }
                    else
                    {
                        Assert.True(inFlight.Remove(writer, out (string Key, string State) flight) && flight == (parts[2], parts[3]),
                            "round " + round + ": an acknowledgement that matches no write: " + line);
                        acked[parts[2]] = parts[3];
                        roundAcks++;
                    }
                }

                Assert.True(roundAcks > 0, "round " + round + ": the child acknowledged nothing");
                acknowledged += roundAcks;
                var mayHaveLanded = inFlight.Values.ToDictionary(f => f.Key, f => f.State, StringComparer.Ordinal);

                using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.Path, AutomaticCompaction = false });
                foreach (string key in model.Keys.Concat(acked.Keys).Concat(mayHaveLanded.Keys).Distinct().ToList())
                {
                    string expected = acked.TryGetValue(key, out string? last) ? last : model.GetValueOrDefault(key, "deleted");
                    byte[]? actual = store.Get(Encoding.UTF8.GetBytes(key));
                    if (Matches(actual, key, expected))
                    {
                        model[key] = expected;
                    }
                    else if (mayHaveLanded.TryGetValue(key, out string? flying) && Matches(actual, key, flying))
                    {
                        model[key] = flying; // unacknowledged but durable: allowed, and now the state to keep
                        inFlightLanded++;
                    }
                    else
                    {
                        Assert.Fail("round " + round + " (killed after " + runMilliseconds + " ms): " + key + " should be " + expected
                            + (flying is null ? string.Empty : " (or " + flying + ", in flight)") + " but holds "
                            + (actual is null ? "nothing" : actual.Length + " other bytes") + "; recovery dropped " + store.Recovery.TornBytesDropped + " torn bytes");
                    }
                }

                Assert.Equal(model.Values.Count(state => state != "deleted"), store.Count);
                _output.WriteLine("round " + round + ": killed after " + runMilliseconds + " ms, " + roundAcks + " acks, " + inFlight.Count + " in flight; reopened with "
                    + store.Count + " keys, " + store.Recovery.TornBytesDropped + " torn bytes dropped, " + store.Recovery.LeftoversDeleted + " leftovers deleted, "
                    + StoreModel.SegmentFiles(_dir.Path) + " segments");
            }

            _output.WriteLine(Rounds + " rounds in " + total.ElapsedMilliseconds + " ms: " + acknowledged + " acknowledged writes checked, " + inFlightLanded + " in-flight writes had landed");
        }

        [Theory]
        [InlineData("outputs-synced")]
        [InlineData("committed")]
        [InlineData("renamed")]
        [InlineData("switched")]
        public void AMergeKilledAtAnyStepLosesNothing(string step)
        {
            Dictionary<string, byte[]?> model = CompactionTests.WriteDeadData(_dir.Path, seed: 10 + step.Length);
            List<string> lines;
            int exitCode;
            using (var child = ChildProcess.Start("compact", _dir.Path, step))
            {
                exitCode = child.WaitForExit(TimeSpan.FromSeconds(60));
                lines = child.Lines();
                Assert.True(exitCode == 128 + Sys.SIGKILL, "the child was not killed at " + step + " (exit code " + exitCode + "): " + child.Describe());
            }

            Assert.Contains("step " + step, lines);
            Assert.DoesNotContain(lines, line => line.StartsWith("compacted", StringComparison.Ordinal));
            Assert.Equal(step != "outputs-synced", File.Exists(_dir.File("merge.manifest"))); // the commit point

            StoreOptions options = CompactionTests.Options(_dir.Path, Durability.Always);
            using (KvStore store = KvStore.Open(options))
            {
                StoreModel.AssertMatches(store, model, "after the merge was killed at " + step);
                Assert.Empty(StoreModel.Leftovers(_dir.Path));
                store.Compact();
                StoreModel.AssertMatches(store, model, "after merging again");
                Assert.Equal(0, store.DeadBytes);
            }

            using (KvStore store = KvStore.Open(options))
            {
                StoreModel.AssertMatches(store, model, "after reopening the merged store");
            }
        }

        private static bool Matches(byte[]? actual, string key, string state)
            => state == "deleted" ? actual is null : actual is not null && actual.AsSpan().SequenceEqual(EmbedKv.Server.CrashWriter.CrashData.ValueOf(key, state));

        /// <summary>The crash writer, run with the dotnet host; its stdout is read line by line as it comes.</summary>
        private sealed class ChildProcess : IDisposable
        {
            private readonly Process _process;
            private readonly Thread _reader;
            private readonly List<string> _lines = new List<string>();
            private readonly StringBuilder _stderr = new StringBuilder();

            private ChildProcess(Process process)
            {
                _process = process;
                _reader = new Thread(ReadLines) { IsBackground = true, Name = "crash writer stdout" };
                _reader.Start();
                _process.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data is not null)
                    {
                        lock (_stderr)
                        {
                            _stderr.AppendLine(e.Data);
                        }
                    }
                };
                _process.BeginErrorReadLine();
            }

            public static ChildProcess Start(string mode, string directory, string argument)
            {
                var start = new ProcessStartInfo(ChildPrograms.DotnetHost())
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                };
                start.ArgumentList.Add(ChildPrograms.PathOf("EmbedKv.Server.CrashWriter"));
                start.ArgumentList.Add(mode);
                start.ArgumentList.Add(directory);
                start.ArgumentList.Add(argument);
                return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException("the crash writer did not start"));
            }

            public void WaitForLine(Func<string, bool> match, TimeSpan timeout)
            {
                var waited = Stopwatch.StartNew();
                lock (_lines)
                {
                    while (!_lines.Any(match))
                    {
                        if (_process.HasExited || waited.Elapsed > timeout)
                        {
                            Assert.Fail("the crash writer never wrote the line awaited: " + Describe());
                        }

                        Monitor.Wait(_lines, 50);
                    }
                }
            }

            /// <summary>SIGKILL (no exception, no finally, no flushing), then every line the child wrote before it died.</summary>
            public List<string> KillAndDrain()
            {
                Assert.False(_process.HasExited, "the crash writer exited before it was killed: " + Describe());
                Assert.Equal(0, (int)Sys.Kill(_process.Id, Sys.SIGKILL));
                _process.WaitForExit();
                Assert.Equal(128 + Sys.SIGKILL, _process.ExitCode);
                return Lines();
            }

            public int WaitForExit(TimeSpan timeout)
            {
                if (!_process.WaitForExit(timeout))
                {
                    Sys.Kill(_process.Id, Sys.SIGKILL);
                    _process.WaitForExit();
                    Assert.Fail("the crash writer did not finish within " + timeout + ": " + Describe());
                }

                return _process.ExitCode;
            }

            /// <summary>All of stdout, once the child is gone (the pipe's end of file).</summary>
            public List<string> Lines()
            {
                Assert.True(_reader.Join(TimeSpan.FromSeconds(30)), "the crash writer's stdout never ended");
                lock (_lines)
                {
                    return new List<string>(_lines);
                }
            }

            public string Describe()
            {
                string stderr;
                lock (_stderr)
                {
                    stderr = _stderr.ToString();
                }

                string[] tail;
                lock (_lines)
                {
                    tail = _lines.Skip(Math.Max(0, _lines.Count - 5)).ToArray();
                }

                return (_process.HasExited ? "exit code " + _process.ExitCode : "running") + "; last output: " + string.Join(" | ", tail) + "; stderr: " + stderr;
            }

            public void Dispose()
            {
                if (!_process.HasExited)
                {
                    Sys.Kill(_process.Id, Sys.SIGKILL);
                    _process.WaitForExit();
                }

                _process.Dispose();
            }

            private void ReadLines()
            {
                while (_process.StandardOutput.ReadLine() is { } line)
                {
                    lock (_lines)
                    {
                        _lines.Add(line);
                        Monitor.PulseAll(_lines);
                    }
                }
            }
        }
    }
}
