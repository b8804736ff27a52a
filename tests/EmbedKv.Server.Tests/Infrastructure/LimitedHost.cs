using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using EmbedKv.Host.Tests.Infrastructure;

namespace EmbedKv.Server.Tests.Infrastructure
{
    /// <summary>
    /// The standalone host (embedkv.dll) started under <c>prlimit --nofile=N:N</c>, so that it runs out of
    /// descriptors at a number the test chooses, with what /proc says about it (CPU time, open
    /// descriptors). HostProcess cannot do this: it always starts dotnet itself. Soft and hard limit are
    /// set alike because the .NET runtime raises the soft limit to the hard one when it starts (and so
    /// does KvServer.Start), which would undo a lowered soft limit alone.
    /// </summary>
    internal sealed partial class LimitedHost : IDisposable
    {
        private readonly Process _process;
        private readonly object _gate = new object();
        private readonly List<string> _stdout = new List<string>();
        private readonly List<string> _stderr = new List<string>();
        private int _openStreams = 2;

        private LimitedHost(Process process) => _process = process;

        public int Id => _process.Id;

        public bool HasExited => _process.HasExited;

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

        /// <summary>Starts the host with at most <paramref name="descriptors"/> open descriptors; the caller waits with <see cref="WaitForPort"/>.</summary>
        public static LimitedHost Start(string workingDirectory, int descriptors, IEnumerable<string> args)
        {
            var start = new ProcessStartInfo("prlimit")
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };

            // prlimit sets the limit on itself and then executes the command: the process id stays the host's.
            start.ArgumentList.Add("--nofile=" + descriptors.ToString(CultureInfo.InvariantCulture) + ":" + descriptors.ToString(CultureInfo.InvariantCulture));
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(ChildPrograms.DotnetHost());
            start.ArgumentList.Add(HostProcess.BuiltProgram);
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            // As HostProcess does: no EMBEDKV_* setting of the test runner's may reach the host.
            foreach (string name in start.Environment.Keys.Where(k => k.StartsWith("EMBEDKV_", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(name);
            }

            var process = new Process { StartInfo = start };
            var host = new LimitedHost(process);
            process.OutputDataReceived += (_, e) => host.Received(host._stdout, e.Data);
            process.ErrorDataReceived += (_, e) => host.Received(host._stderr, e.Data);
            Assert.True(process.Start(), "prlimit did not start");
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return host;
        }

        /// <summary>Waits for the startup line and returns the port it names.</summary>
        public int WaitForPort()
        {
            long deadline = Environment.TickCount64 + (long)HostProcess.Patience.TotalMilliseconds;
            lock (_gate)
            {
                while (true)
                {
                    Match found = _stdout.Select(line => StartupPattern().Match(line)).FirstOrDefault(m => m.Success) ?? Match.Empty;
                    if (found.Success)
                    {
                        return int.Parse(found.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
                    }

                    long left = deadline - Environment.TickCount64;
                    if (_openStreams == 0 || left <= 0)
                    {
                        break;
                    }

                    Monitor.Wait(_gate, (int)Math.Min(left, 1000));
                }
            }

            Assert.Fail("the host never said it was listening: " + Describe());
            return 0;
        }

        /// <summary>Waits until stderr has a line containing <paramref name="text"/> (the console logger writes from a queue of its own); false if none comes in time.</summary>
        public bool WaitForStderr(string text, TimeSpan timeout)
        {
            long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
            lock (_gate)
            {
                while (!_stderr.Any(line => line.Contains(text, StringComparison.Ordinal)))
                {
                    long left = deadline - Environment.TickCount64;
                    if (_openStreams == 0 || left <= 0)
                    {
                        return false;
                    }

                    Monitor.Wait(_gate, (int)Math.Min(left, 1000));
                }
            }

            return true;
        }

        /// <summary>User plus system CPU time the host has used so far, from /proc/PID/stat.</summary>
        public double CpuSeconds()
        {
            // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
            string stat = File.ReadAllText("/proc/" + Id.ToString(CultureInfo.InvariantCulture) + "/stat");
            string[] fields = stat.Substring(stat.LastIndexOf(')') + 2).Split(' ');
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture); // utime, stime
            return ticks / 100.0; // USER_HZ is 100 on Linux x86_64
        }

        /// <summary>Descriptors the host has open now.</summary>
        public int OpenDescriptors() => Directory.GetFileSystemEntries("/proc/" + Id.ToString(CultureInfo.InvariantCulture) + "/fd").Length;

        /// <summary>Sets the running host's limit (soft and hard) to <paramref name="descriptors"/>, as if its descriptors ran out later.</summary>
        public void LowerLimit(int descriptors)
        {
            string limit = descriptors.ToString(CultureInfo.InvariantCulture);
            Run("prlimit", "--pid", Id.ToString(CultureInfo.InvariantCulture), "--nofile=" + limit + ":" + limit);
        }

        /// <summary>Sends a signal ("TERM") with /bin/kill.</summary>
        public void Signal(string name) => Run("/bin/kill", "-s", name, Id.ToString(CultureInfo.InvariantCulture));

        /// <summary>Waits for the host to exit and returns its exit code.</summary>
        public int WaitForExit()
        {
            Assert.True(_process.WaitForExit(HostProcess.Patience), "the host did not exit: " + Describe());
            _process.WaitForExit(); // the output handlers have seen the end of both streams
            return _process.ExitCode;
        }

        public string Describe()
        {
            var text = new StringBuilder();
            text.Append(_process.HasExited ? "exited with " + _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "still running");
            lock (_gate)
            {
                text.Append("\n--- stdout:\n").AppendJoin('\n', _stdout).Append("\n--- stderr:\n").AppendJoin('\n', _stderr);
            }

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

        private static void Run(string program, params string[] args)
        {
            var start = new ProcessStartInfo(program) { UseShellExecute = false, RedirectStandardError = true };
            foreach (string arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            using Process process = Process.Start(start) ?? throw new InvalidOperationException(program + " did not start");
            string error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, program + " " + string.Join(' ', args) + " failed: " + error);
        }

        [GeneratedRegex(@"^EmbedKv listening on http://127\.0\.0\.1:(?<port>\d+)/ ")]
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

                Monitor.PulseAll(_gate);
            }
        }
    }
}
