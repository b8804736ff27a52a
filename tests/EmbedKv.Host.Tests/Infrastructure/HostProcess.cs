using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using EmbedKv.Server.Tests.Infrastructure;

namespace EmbedKv.Host.Tests.Infrastructure
{
    /// <summary>
    /// The standalone host, <c>dotnet embedkv.dll</c>, run as a child process in a working directory of
    /// the test's, with its stdout and stderr collected line by line as they come. Disposing kills it
    /// (SIGKILL) if a test left it running.
    /// </summary>
    internal sealed partial class HostProcess : IDisposable
    {
        /// <summary>Generous: a dotnet start on a loaded two-core machine; only a failing test waits this long.</summary>
        public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

        private readonly Process _process;
        private readonly object _gate = new object();
        private readonly List<string> _stdout = new List<string>();
        private readonly List<string> _stderr = new List<string>();
        private int _openStreams = 2;

        private HostProcess(Process process, string workingDirectory)
        {
            _process = process;
            WorkingDirectory = workingDirectory;
        }

        public int Id => _process.Id;

        public string WorkingDirectory { get; }

        public IReadOnlyList<string> Stdout
        {
            get
            {
                lock (_gate)
                {
                    return _stdout.ToArray();
                }
            }
        }

        public IReadOnlyList<string> Stderr
        {
            get
            {
                lock (_gate)
                {
                    return _stderr.ToArray();
                }
            }
        }

        /// <summary>The built embedkv.dll, in server/EmbedKv.Host's output for this test run's configuration.</summary>
        public static string BuiltProgram => ChildPrograms.PathOf("server", "EmbedKv.Host", "embedkv");

        /// <summary>Writes <paramref name="text"/> to the host's stdin and closes it (for commands that read stdin).</summary>
        public void Input(string text)
        {
            _process.StandardInput.Write(text);
            _process.StandardInput.Close();
        }

        /// <summary>
        /// Starts <paramref name="program"/> (default: the built embedkv.dll; "run" for `dotnet run`) in <paramref name="workingDirectory"/>.
        /// The child gets this process's environment without any EMBEDKV_* or EMBEDKVRT_* variable, plus <paramref name="environment"/>.
        /// </summary>
        public static HostProcess Start(string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? program = null)
            => StartExecutable(workingDirectory, ChildPrograms.DotnetHost(), new[] { program ?? BuiltProgram }.Concat(args), environment);

        /// <summary>
        /// As <see cref="Start"/>, for a host that <paramref name="executable"/> runs with <paramref name="args"/>
        /// (an emulator and a published host, EmulatedHost), not the built embedkv.dll under dotnet.
        /// </summary>
        public static HostProcess StartExecutable(string workingDirectory, string executable, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null)
        {
            var start = new ProcessStartInfo(executable)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardInput = true, // not the test runner's
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            // The host reads EMBEDKV_* case-insensitively, the runtime EMBEDKVRT_*; none from the test runner's
            // environment may leak in.
            foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("EMBEDKV_", StringComparison.OrdinalIgnoreCase) || k.StartsWith("EMBEDKVRT_", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(name);
            }

            // `dotnet test` runs the tests under MSBuild's environment; a `dotnet run` child must find its SDK
            // the way it would from a shell.
            foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(name);
            }

            foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
            {
                start.Environment[variable.Key] = variable.Value;
            }

            var process = new Process { StartInfo = start };
            var host = new HostProcess(process, workingDirectory);
            process.OutputDataReceived += (_, e) => host.Received(host._stdout, e.Data);
            process.ErrorDataReceived += (_, e) => host.Received(host._stderr, e.Data);
            Assert.True(process.Start(), executable + " did not start");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return host;
        }

        /// <summary>Runs the host to its exit (for --help and bad settings) and returns it, exited; fails if it starts serving instead.</summary>
        public static HostProcess Run(string workingDirectory, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? program = null)
        {
            HostProcess host = Start(workingDirectory, args, environment, program);
            try
            {
                // A host that should have exited but started serving fails the test at once, and is killed.
                StartupLine? line = host.WaitForListeningOrExit();
                Assert.True(line is null, "the host started instead of exiting: " + host.Describe());
                host.WaitForExit();
                return host;
            }
            catch
            {
                host.Dispose();
                throw;
            }
        }

        /// <summary>Waits for the startup line and parses it; fails with everything the host said if it exits or says nothing in time.</summary>
        public StartupLine WaitForListening()
        {
            string line = WaitForLine(IsStartupLine, "the startup line");
            Match match = StartupPattern().Match(line);
            Assert.True(match.Success, "malformed startup line: " + line);
            var address = new Uri(match.Groups["address"].Value);
            return new StartupLine(line, address, match.Groups["data"].Value, match.Groups["durability"].Value,
                long.Parse(match.Groups["keys"].Value, NumberStyles.None, CultureInfo.InvariantCulture));
        }

        /// <summary>The startup line, or null if the host exited without printing one.</summary>
        public StartupLine? WaitForListeningOrExit()
        {
            long deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
            lock (_gate)
            {
                while (_openStreams > 0 && !_stdout.Any(IsStartupLine) && Environment.TickCount64 < deadline)
                {
                    System.Threading.Monitor.Wait(_gate, 1000);
                }

                if (!_stdout.Any(IsStartupLine))
                {
                    Assert.True(_openStreams == 0, "the host neither listened nor exited: " + Describe());
                    return null;
                }
            }

            return WaitForListening();
        }

        /// <summary>Waits until stdout has a line matching <paramref name="match"/>; fails if the host exits first or the time runs out.</summary>
        public string WaitForLine(Func<string, bool> match, string what)
        {
            long deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
            lock (_gate)
            {
                while (true)
                {
                    string? found = _stdout.FirstOrDefault(match);
                    if (found is not null)
                    {
                        return found;
                    }

                    long left = deadline - Environment.TickCount64;
                    if (_openStreams == 0 || left <= 0)
                    {
                        break;
                    }

                    System.Threading.Monitor.Wait(_gate, (int)Math.Min(left, 1000));
                }
            }

            Assert.Fail("the host never printed " + what + ": " + Describe());
            return string.Empty;
        }

        /// <summary>Waits for the host to exit (and for its output to be read to the end) and returns its exit code.</summary>
        public int WaitForExit()
        {
            if (!_process.WaitForExit(Patience))
            {
                Assert.Fail("the host did not exit within " + Patience.TotalSeconds + " s: " + Describe());
            }

            _process.WaitForExit(); // the output handlers have seen the end of both streams
            return _process.ExitCode;
        }

        /// <summary>Sends a signal ("TERM", "INT") with /bin/kill: Process.Kill only sends SIGKILL.</summary>
        public void Signal(string name)
        {
            var start = new ProcessStartInfo("/bin/kill") { UseShellExecute = false, RedirectStandardError = true };
            start.ArgumentList.Add("-s");
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(Id.ToString(CultureInfo.InvariantCulture));
            using Process kill = Process.Start(start) ?? throw new InvalidOperationException("/bin/kill did not start");
            string error = kill.StandardError.ReadToEnd();
            kill.WaitForExit();
            Assert.True(kill.ExitCode == 0, "kill -s " + name + " " + Id + " failed: " + error);
        }

        /// <summary>Names of the host's threads, from /proc (Linux shows the first 15 bytes of a .NET thread's name).</summary>
        public IReadOnlyList<string> ThreadNames()
        {
            var names = new List<string>();
            foreach (string task in Directory.GetDirectories("/proc/" + Id.ToString(CultureInfo.InvariantCulture) + "/task"))
            {
                try
                {
                    names.Add(File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n'));
                }
                catch (IOException)
                {
                    // the thread ended meanwhile
                }
            }

            return names;
        }

        public string Describe()
        {
            var text = new StringBuilder();
            text.Append(_process.HasExited ? "exited with " + _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "still running");
            text.Append("\n--- stdout:\n").AppendJoin('\n', Stdout).Append("\n--- stderr:\n").AppendJoin('\n', Stderr);
            return text.ToString();
        }

        public void Dispose()
        {
            try
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                    _process.WaitForExit();
                }
            }
            catch (InvalidOperationException)
            {
                // never started
            }

            _process.Dispose();
        }

        private static bool IsStartupLine(string line) => line.StartsWith("EmbedKv listening on ", StringComparison.Ordinal);

        [GeneratedRegex(@"^EmbedKv listening on (?<address>http://[^ ]+/) \(data (?<data>.+), durability (?<durability>[^ ,]+), (?<keys>\d+) keys recovered\)$")]
        private static partial Regex StartupPattern();

        private void Received(List<string> lines, string? line)
        {
            lock (_gate)
            {
                if (line is null)
                {
                    _openStreams--;
                }
                else
                {
                    lines.Add(line);
                }

                System.Threading.Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>"EmbedKv listening on http://127.0.0.1:PORT/ (data DIR, durability MODE, N keys recovered)", parsed.</summary>
    internal sealed record StartupLine(string Text, Uri BaseAddress, string DataDirectory, string Durability, long KeysRecovered)
    {
        public int Port => BaseAddress.Port;
    }
}
