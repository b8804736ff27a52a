using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>
    /// The standalone host (dotnet embedkv.dll) as a child process: its defaults, each configuration
    /// source (appsettings.json beside the program, EMBEDKV_* variables, the command line), and which wins.
    /// Each host runs in a temporary working directory, so relative data directories land there.
    /// </summary>
    public sealed class HostConfigurationTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task StartsWithTheDefaults()
        {
            // Every default but the port: 8080 may be taken on a shared machine (another checkout's host or
            // tests), so this run asks for port 0 and TheDefaultPortIs8080OnLoopback shows the default port.
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0" });
            StartupLine line = host.WaitForListening();

            Assert.Equal("127.0.0.1", line.BaseAddress.Host);
            Assert.NotEqual(0, line.Port);
            Assert.Equal(Path.Combine(_dir.Path, "embedkv-data"), line.DataDirectory); // relative to the working directory, shown absolute
            Assert.Equal("always", line.Durability);
            Assert.Equal(0, line.KeysRecovered);
            Assert.True(Directory.Exists(line.DataDirectory), "no data directory at " + line.DataDirectory);
            Assert.Equal(Environment.ProcessorCount, LoopThreads(host)); // Workers: one per core

            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "k", "v"));
                Assert.Equal((HttpStatusCode.OK, "v"), await Net.GetAsync(client, "k"));
            }

            Assert.NotEmpty(Directory.GetFiles(line.DataDirectory, "seg-*"));
            host.Signal("TERM");
            Assert.Equal(0, host.WaitForExit());
            Assert.Empty(host.Stderr);
        }

        [Fact]
        public void TheDefaultPortIs8080OnLoopback()
        {
            // With no settings at all the host must bind 127.0.0.1:8080. Holding that port here makes the
            // outcome not depend on who else uses 8080: the host must fail naming exactly that address.
            // (If someone else holds it, the host fails the same way; if they let go meanwhile, it listens there.)
            using Socket? held = Net.Hold(8080);
            using HostProcess host = HostProcess.Start(_dir.Path, Array.Empty<string>());
            StartupLine? line = host.WaitForListeningOrExit();
            if (line is not null)
            {
                Assert.Null(held);
                Assert.Equal(new Uri("http://127.0.0.1:8080/"), line.BaseAddress);
                return;
            }

            Assert.Equal(1, host.WaitForExit());
            string error = Assert.Single(host.Stderr);
            Assert.Equal("embedkv: cannot start: bind 127.0.0.1:8080: EADDRINUSE (Address already in use)", error);
        }

        [Fact]
        public void ReadsAppsettingsJsonBesideTheProgram()
        {
            int port = Net.FreePort();
            string program = ProgramCopy.WithSettings(Path.Combine(_dir.Path, "app"),
                "{ \"Port\": " + port + ", \"DataDirectory\": \"json-data\", \"Durability\": \"batched:20ms\", \"Workers\": 1,"
                + " \"Limits\": { \"IdleTimeout\": \"1s\" } }");

            // The working directory is not the program's, and an appsettings.json there must be ignored:
            // this one would stop the host with exit code 2.
            string work = Directory.CreateDirectory(Path.Combine(_dir.Path, "work")).FullName;
            File.WriteAllText(Path.Combine(work, "appsettings.json"), "{ \"Port\": \"not from here\" }");

            using HostProcess host = HostProcess.Start(work, Array.Empty<string>(), program: program);
            StartupLine line = host.WaitForListening();
            Assert.Equal(port, line.Port);
            Assert.Equal(Path.Combine(work, "json-data"), line.DataDirectory); // relative to the working directory, not the program
            Assert.Equal("batched:20ms", line.Durability);
            Assert.Equal(1, LoopThreads(host));
            AssertIdleTimeoutIsAboutOneSecond(line.Port);
            Assert.Empty(host.Stderr);
        }

        [Fact]
        public void AppsettingsJsonMayCarryTheUsualLoggingSection()
        {
            // The section is the logger's, not a setting: at Information the server's own startup event
            // (normally below the host's Warning level) reaches stderr.
            string program = ProgramCopy.WithSettings(Path.Combine(_dir.Path, "app"),
                "{ \"Port\": 0, \"Logging\": { \"LogLevel\": { \"Default\": \"Information\" } } }");
            using HostProcess host = HostProcess.Start(_dir.Path, Array.Empty<string>(), program: program);
            StartupLine line = host.WaitForListening();
            Assert.True(SpinWait.SpinUntil(() => host.Stderr.Any(l => l.Contains("EmbedKv listening on http://127.0.0.1:" + line.Port + "/", StringComparison.Ordinal)), HostProcess.Patience),
                "the Information-level startup event was not logged: " + host.Describe());
            host.Signal("TERM");
            Assert.Equal(0, host.WaitForExit());
        }

        [Fact]
        public void ReadsEnvironmentVariables()
        {
            int port = Net.FreePort();
            var environment = new Dictionary<string, string>
            {
                ["EMBEDKV_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["EMBEDKV_DATADIRECTORY"] = "env-data",
                ["EMBEDKV_DURABILITY"] = "none",
                ["EMBEDKV_WORKERS"] = "1",
                ["EMBEDKV_LIMITS__IDLETIMEOUT"] = "1s",
            };
            using HostProcess host = HostProcess.Start(_dir.Path, Array.Empty<string>(), environment);
            StartupLine line = host.WaitForListening();
            Assert.Equal(port, line.Port);
            Assert.Equal(Path.Combine(_dir.Path, "env-data"), line.DataDirectory);
            Assert.Equal("none", line.Durability);
            Assert.Equal(1, LoopThreads(host));
            AssertIdleTimeoutIsAboutOneSecond(line.Port);
            Assert.Empty(host.Stderr);
        }

        [Fact]
        public async Task AnUnknownEnvironmentVariableIsIgnoredWithOneWarning()
        {
            // A script's own EMBEDKV_CHECKOUT shares the prefix by chance: the host must still start, say once
            // that it ignored the variable, and serve. (Unknown keys in appsettings.json or on the command
            // line still stop it: HostSettingsErrorTests.)
            var environment = new Dictionary<string, string> { ["EMBEDKV_CHECKOUT"] = "x" };
            using HostProcess host = HostProcess.Start(_dir.Path, new[] { "--port", "0" }, environment);
            StartupLine line = host.WaitForListening();
            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.NotFound, (await Net.GetAsync(client, "k")).Status);
            }

            host.Signal("TERM");
            Assert.Equal(0, host.WaitForExit());
            string warning = Assert.Single(host.Stderr);
            Assert.Contains("EMBEDKV_CHECKOUT", warning, StringComparison.Ordinal);
            Assert.Contains("ignored", warning, StringComparison.OrdinalIgnoreCase);
        }

        [Fact]
        public async Task ReadsCommandLineSwitches()
        {
            int port = Net.FreePort();
            string data = Path.Combine(_dir.Path, "cli data"); // absolute, with a space
            using HostProcess host = HostProcess.Start(_dir.Path, new[]
            {
                "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--data", data,
                "--durability", "batched:5ms", "--workers", "3",
                "--Limits:IdleTimeout", "1s", // any setting as --Key value
                "--MaxKeyLength=8",           // and as --Key=value
            });
            StartupLine line = host.WaitForListening();
            Assert.Equal(new Uri("http://127.0.0.1:" + port + "/"), line.BaseAddress);
            Assert.Equal(data, line.DataDirectory);
            Assert.Equal("batched:5ms", line.Durability);
            Assert.Equal(3, LoopThreads(host));
            AssertIdleTimeoutIsAboutOneSecond(line.Port);
            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "8-bytes!", "v"));
                Assert.Equal(HttpStatusCode.RequestUriTooLong, await Net.PutAsync(client, "9-bytes!!", "v"));
            }

            Assert.Empty(host.Stderr);
        }

        [Fact]
        public void LaterSourcesOverrideEarlierOnes()
        {
            // Port is set by all three sources, Durability by the file and the environment, DataDirectory
            // by the file alone: json < environment < command line, key by key.
            int[] ports = Net.FreePorts(3);
            string program = ProgramCopy.WithSettings(Path.Combine(_dir.Path, "app"),
                "{ \"Port\": " + ports[0] + ", \"Durability\": \"none\", \"DataDirectory\": \"json-data\", \"Workers\": 1 }");
            var environment = new Dictionary<string, string>
            {
                ["EMBEDKV_PORT"] = ports[1].ToString(CultureInfo.InvariantCulture),
                ["EMBEDKV_DURABILITY"] = "batched:7ms",
            };
            string all = Directory.CreateDirectory(Path.Combine(_dir.Path, "all three")).FullName;
            string two = Directory.CreateDirectory(Path.Combine(_dir.Path, "json and env")).FullName;
            string one = Directory.CreateDirectory(Path.Combine(_dir.Path, "json alone")).FullName;

            // Three hosts at once (each its own port and working directory) to keep the test short.
            using HostProcess withAll = HostProcess.Start(all, new[] { "--port", ports[2].ToString(CultureInfo.InvariantCulture) }, environment, program);
            using HostProcess withTwo = HostProcess.Start(two, Array.Empty<string>(), environment, program);
            using HostProcess withOne = HostProcess.Start(one, Array.Empty<string>(), program: program);

            StartupLine line = withAll.WaitForListening();
            Assert.Equal(ports[2], line.Port);
            Assert.Equal("batched:7ms", line.Durability);
            Assert.Equal(Path.Combine(all, "json-data"), line.DataDirectory);

            line = withTwo.WaitForListening();
            Assert.Equal(ports[1], line.Port);
            Assert.Equal("batched:7ms", line.Durability);
            Assert.Equal(Path.Combine(two, "json-data"), line.DataDirectory);

            line = withOne.WaitForListening();
            Assert.Equal(ports[0], line.Port);
            Assert.Equal("none", line.Durability);
            Assert.Equal(Path.Combine(one, "json-data"), line.DataDirectory);
        }

        [Fact]
        public async Task TheStorageSettingsReachTheStore()
        {
            // With the defaults (64 MiB segments, no merge below 16 MiB dead) these few kilobytes would stay in
            // one segment and never be merged; with these settings the segments roll over and merges run,
            // which the store reports at Information (event 203).
            string data = Path.Combine(_dir.Path, "data");
            using HostProcess host = HostProcess.Start(_dir.Path, new[]
            {
                "--port", "0", "--data", data, "--workers", "1",
                "--SegmentSize", "4096", "--CompactionThreshold", "0.25", "--CompactionMinimumDeadBytes", "0",
                "--Logging:LogLevel:Default", "Information",
            });
            StartupLine line = host.WaitForListening();
            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                for (int i = 0; i < 40 && !host.Stderr.Any(IsMerge); i++)
                {
                    Assert.Equal(i == 0 ? HttpStatusCode.Created : HttpStatusCode.NoContent, await Net.PutAsync(client, "k", new string((char)('a' + (i % 26)), 1000)));
                }

                Assert.True(SpinWait.SpinUntil(() => host.Stderr.Any(IsMerge), HostProcess.Patience), "no merge was logged: " + host.Describe());
                Assert.Equal(HttpStatusCode.OK, (await Net.GetAsync(client, "k")).Status);
            }

            host.Signal("TERM");
            Assert.Equal(0, host.WaitForExit());

            static bool IsMerge(string line) => line.Contains("EmbedKv[203]", StringComparison.Ordinal) && line.Contains("Merged ", StringComparison.Ordinal);
        }

        /// <summary>The host's event-loop threads ("EmbedKv loop N"), counted in /proc.</summary>
        private static int LoopThreads(HostProcess host) => host.ThreadNames().Count(name => name.StartsWith("EmbedKv loop ", StringComparison.Ordinal));

        private static void AssertIdleTimeoutIsAboutOneSecond(int port)
        {
            // The default is 60 s; closing an idle keep-alive connection within a few seconds shows the
            // nested Limits:IdleTimeout setting arrived.
            TimeSpan idle = Net.IdleCloseAfter(port, TimeSpan.FromSeconds(20));
            Assert.InRange(idle.TotalSeconds, 0.5, 10);
        }
    }
}
