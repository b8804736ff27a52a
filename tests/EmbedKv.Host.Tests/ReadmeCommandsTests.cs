using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>
    /// The README must be true: every shell command in it is run here (the host and curl commands, with a
    /// free port and a temporary data directory swapped in through the environment or the arguments), or
    /// is shown to be run elsewhere (.ci/run, the package test). A command of a kind this class does not
    /// know fails the test, so the README cannot gain an unchecked command.
    /// </summary>
    public sealed class ReadmeCommandsTests : IDisposable
    {
        private const string RunHost = "dotnet run --project server/EmbedKv.Host";

        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void EveryCommandIsOfAKindThatIsChecked()
        {
            foreach (string command in ReadmeCommands())
            {
                bool known = command == "dotnet test EmbedKv.sln"
                    || command.StartsWith(RunHost, StringComparison.Ordinal)
                    || command.StartsWith("curl ", StringComparison.Ordinal)
                    || command.StartsWith("dotnet pack server/EmbedKv.Server ", StringComparison.Ordinal)
                    || command.StartsWith("bench/run.sh", StringComparison.Ordinal);
                Assert.True(known, "README.md has a command no test checks: " + command);

                // Host commands are run by the tests below only in these forms.
                bool hostRun = !command.StartsWith(RunHost, StringComparison.Ordinal)
                    || command == RunHost
                    || command == RunHost + " -- --help"
                    || command.Contains("--port", StringComparison.Ordinal)
                    || command.StartsWith(RunHost + " -- check ", StringComparison.Ordinal);
                Assert.True(hostRun, "README.md has a host command of a form no test runs: " + command);
            }
        }

        [Fact]
        public void TheTestCommandIsWhatCiRuns()
        {
            Assert.Contains("dotnet test EmbedKv.sln", ReadmeCommands());
            string[] ci = File.ReadAllLines(Path.Combine(Root, ".ci", "run"));
            Assert.Contains("dotnet test EmbedKv.sln", ci);
        }

        [Fact]
        public void ThePackCommandIsTheOneThePackageTestRuns()
        {
            string pack = Assert.Single(ReadmeCommands(), c => c.StartsWith("dotnet pack ", StringComparison.Ordinal));
            Assert.Equal("dotnet pack server/EmbedKv.Server -c Release -o ./packages", pack);

            // tests/EmbedKv.Package.Tests packs exactly this project in Release, into its own folder.
            string packageTest = File.ReadAllText(Path.Combine(Root, "tests", "EmbedKv.Package.Tests", "PackedPackage.cs"));
            Assert.Contains("\"pack\", Path.Combine(RepositoryRoot, \"server\", project), \"-c\", \"Release\", \"-o\"", packageTest, StringComparison.Ordinal);
            Assert.Contains("Pack = PackProject(\"EmbedKv.Server\");", packageTest, StringComparison.Ordinal);
        }

        [Fact]
        public void TheBenchmarkCommandsNameSuitesTheScriptHas()
        {
            // Running them is not CI's job (they install peers with apt and take many minutes): the script
            // must parse, and every suite the README names must be one its usage lists.
            Assert.Equal(0, Shell("bash", "-n", "bench/run.sh").ExitCode);
            (int exitCode, string usage) = Shell(Path.Combine(Root, "bench", "run.sh"), "--help");
            Assert.True(exitCode == 0, "bench/run.sh --help failed: " + usage);
            foreach (string command in ReadmeCommands().Where(c => c.StartsWith("bench/run.sh", StringComparison.Ordinal)))
            {
                string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (words.Length > 1)
                {
                    Assert.True(usage.Contains("\n  " + words[1] + " ", StringComparison.Ordinal), command + ": no suite '" + words[1] + "' in bench/run.sh --help:\n" + usage);
                }
            }
        }

        [Fact]
        public void TheRunCommandServesAndTheCurlExamplesDoWhatTheReadmeSays()
        {
            Assert.Contains(RunHost, ReadmeCommands());

            // The README's command as written; only the port (8080 may be taken on a shared machine) and the
            // data directory (not inside the repository) come from the environment, which the host reads too.
            int port = Net.FreePort();
            string data = Path.Combine(_dir.Path, "data");
            using HostProcess host = HostProcess.Start(Root, RunArguments(RunHost), new Dictionary<string, string>
            {
                ["EMBEDKV_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["EMBEDKV_DATADIRECTORY"] = data,
            }, program: "run");
            try
            {
                StartupLine line = host.WaitForListening();
                Assert.Equal(new Uri("http://127.0.0.1:" + port + "/"), line.BaseAddress);
                Assert.Equal(data, line.DataDirectory);

                List<string> curls = ReadmeCommands().Where(c => c.StartsWith("curl ", StringComparison.Ordinal)).ToList();
                Assert.Equal(4, curls.Count);
                var outputs = curls.Select(c => Curl(c.Replace("127.0.0.1:8080", "127.0.0.1:" + port, StringComparison.Ordinal))).ToList();
                Assert.Equal(string.Empty, outputs[0]);                                   // PUT: 201, no body
                Assert.Equal("hello", outputs[1]);                                       // GET
                Assert.StartsWith("HTTP/1.1 200 OK", outputs[2], StringComparison.Ordinal); // HEAD
                Assert.Contains("Content-Length: 5", outputs[2], StringComparison.OrdinalIgnoreCase);
                Assert.Equal(string.Empty, outputs[3]);                                   // DELETE: 204
                Assert.Equal("not found\n", Curl("curl -s http://127.0.0.1:" + port + "/greeting"));
            }
            finally
            {
                KillTree(host);
            }
        }

        [Fact]
        public void TheHelpAndSettingsExamplesWork()
        {
            List<string> runs = ReadmeCommands().Where(c => c.StartsWith(RunHost + " -- ", StringComparison.Ordinal)).ToList();
            Assert.Contains(RunHost + " -- --help", runs);
            using (HostProcess help = HostProcess.Start(Root, RunArguments(RunHost + " -- --help"), program: "run"))
            {
                Assert.True(help.WaitForExit() == 0, help.Describe());
                Assert.StartsWith("usage: embedkv ", help.Stdout.First(l => l.StartsWith("usage", StringComparison.Ordinal)), StringComparison.Ordinal);
            }

            string example = Assert.Single(runs, r => r.Contains("--port", StringComparison.Ordinal));
            string[] args = RunArguments(example);
            int port = Net.FreePort();
            string data = Path.Combine(_dir.Path, "demo");
            args[Array.IndexOf(args, "--port") + 1] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            args[Array.IndexOf(args, "--data") + 1] = data;
            using HostProcess host = HostProcess.Start(Root, args, program: "run");
            try
            {
                StartupLine line = host.WaitForListening();
                Assert.Equal(port, line.Port);
                Assert.Equal(data, line.DataDirectory);
                Assert.Equal(RunArguments(example)[Array.IndexOf(args, "--durability") + 1], line.Durability);
            }
            finally
            {
                KillTree(host);
            }
        }

        [Fact]
        public void TheCheckCommandsFindDamageAndRepairIt()
        {
            List<string> checks = ReadmeCommands().Where(c => c.StartsWith(RunHost + " -- check ", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, checks.Count);
            string check = Assert.Single(checks, c => !c.Contains("--repair", StringComparison.Ordinal));
            string repair = Assert.Single(checks, c => c.Contains("--repair", StringComparison.Ordinal));

            // A store with a damaged record in the middle of its segment, in place of the README's directory.
            string data = Path.Combine(_dir.Path, "checked");
            using (KvStore store = KvStore.Open(new StoreOptions { DataDirectory = data }))
            {
                for (int i = 0; i < 10; i++)
                {
                    store.Put(new[] { (byte)i }, new byte[100]);
                }
            }

            string segment = Path.Combine(data, "seg-00000001.log");
            byte[] bytes = File.ReadAllBytes(segment);
            bytes[16 + (3 * (24 + 1 + 100)) + 30] ^= 1; // inside the fourth record
            File.WriteAllBytes(segment, bytes);

            Assert.Equal(1, RunCheck(check, data));
            Assert.Equal(0, RunCheck(repair, data));
            Assert.Equal(0, RunCheck(check, data));
            using (KvStore store = KvStore.Open(new StoreOptions { DataDirectory = data }))
            {
                Assert.Equal(3, store.Count);
            }
        }

        private static string Root { get; } = FindRoot();

        /// <summary>Every line of every ```sh block in README.md.</summary>
        private static List<string> ReadmeCommands()
        {
            var commands = new List<string>();
            bool inShell = false;
            foreach (string raw in File.ReadAllLines(Path.Combine(Root, "README.md")))
            {
                string line = raw.Trim();
                if (line.StartsWith("```", StringComparison.Ordinal))
                {
                    inShell = !inShell && line == "```sh";
                    continue;
                }

                if (inShell && line.Length > 0 && !line.StartsWith('#'))
                {
                    commands.Add(line);
                }
            }

            return commands;
        }

        /// <summary>Runs a README check command as written, on <paramref name="data"/> instead of its directory; returns its exit code.</summary>
        private static int RunCheck(string command, string data)
        {
            string[] args = RunArguments(command);
            args[Array.IndexOf(args, "--data") + 1] = data;
            using HostProcess host = HostProcess.Run(Root, args, program: "run");
            int exitCode = host.WaitForExit();
            Assert.True(exitCode is 0 or 1, command + ": " + host.Describe());
            return exitCode;
        }

        /// <summary>"dotnet run --project X -- a b" as the arguments after "dotnet run".</summary>
        private static string[] RunArguments(string command) =>
            command.Substring("dotnet run ".Length).Split(' ', StringSplitOptions.RemoveEmptyEntries);

        private static string Curl(string command)
        {
            (int exitCode, string output) = Shell("bash", "-c", command + " 2>/dev/null"); // not curl's progress meter
            Assert.True(exitCode == 0, command + " failed: " + output);
            return output;
        }

        private static (int ExitCode, string Output) Shell(string file, params string[] arguments)
        {
            var start = new ProcessStartInfo(file) { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process process = Process.Start(start)!;
            string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), file + " did not finish");
            return (process.ExitCode, output.Replace("\r\n", "\n", StringComparison.Ordinal));
        }

        /// <summary>dotnet run starts the program as its child: stop both (the data is in a temporary directory).</summary>
        private static void KillTree(HostProcess host)
        {
            try
            {
                Process.GetProcessById(host.Id).Kill(entireProcessTree: true);
            }
            catch (ArgumentException)
            {
                // already gone
            }
        }

        private static string FindRoot()
        {
            for (DirectoryInfo? dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EmbedKv.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("no EmbedKv.sln above " + AppContext.BaseDirectory);
        }
    }
}
