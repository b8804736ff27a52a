using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Tests.Infrastructure;
using EmbedKv.Server.Tests.Security;
using EmbedKv.Server.Tests.Server;
using EmbedKv.Server.Tests.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Host.Tests
{
    /// <summary>
    /// The host as a user on arm64 Linux runs it: published self-contained for linux-arm64 (<see cref="Aarch64Publish"/>)
    /// and started under qemu-aarch64, so every syscall goes through the arm64 stubs and reaches a real kernel,
    /// on loopback and a real data directory, driven by curl and a raw socket. The emulator proves behaviour
    /// only; it says nothing about speed (docs/syscalls.md, "Running the arm64 host"). Every emulated start
    /// costs seconds, so the tests share one host, each with keys of its own, except the restart's.
    /// </summary>
    public sealed class Aarch64EmulationTests : IClassFixture<Aarch64Publish>, IDisposable
    {
        private readonly Aarch64Publish _published;
        private readonly ITestOutputHelper _output;
        private readonly TempDirectory _dir = new TempDirectory();

        public Aarch64EmulationTests(Aarch64Publish published, ITestOutputHelper output)
        {
            _published = published;
            _output = output;
        }

        private string DataDirectory => _dir.File("data");

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void ThePublishedHostIsArm64CodeAndRunsInsideQemuAarch64()
        {
            string program = _published.Program();
            _output.WriteLine(_published.Result!.CommandLine + ": " + _published.Result.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s");
            Assert.Equal(Elf.MachineAarch64, Elf.Machine(program));
            Assert.Equal(Elf.MachineAarch64, Elf.Machine(Path.Combine(_published.Output, "libcoreclr.so")));

            (HostProcess host, StartupLine line) = _published.SharedHost();
            Assert.Equal("127.0.0.1", line.BaseAddress.Host);

            // The process is the emulator, and the runtime mapped into it is the published arm64 one: an x64
            // runtime from elsewhere (a dotnet on PATH, say) cannot be what serves.
            string pid = host.Id.ToString(CultureInfo.InvariantCulture);
            Assert.Equal(Resolved(Arm64Emulator.Qemu), Resolved("/proc/" + pid + "/exe"));
            string maps = File.ReadAllText("/proc/" + pid + "/maps");
            Assert.Contains(Path.Combine(_published.Output, "libcoreclr.so"), maps, StringComparison.Ordinal);

            Assert.Equal("404", Curl(line.BaseAddress + "absent").Output);
            AssertQuiet(host);
        }

        [Fact]
        public void PutGetHeadAndDeleteWithCurl()
        {
            (HostProcess host, StartupLine line) = _published.SharedHost();
            string url = line.BaseAddress + "greeting";

            Assert.Equal("201", Curl("-X", "PUT", "--data-binary", "hello", url).Output);
            Assert.Equal("204", Curl("-X", "PUT", "--data-binary", "hello, arm64", url).Output);
            Assert.Equal("hello, arm64", Encoding.UTF8.GetString(Get(url, "200")));
            Assert.Equal("200", Curl("-I", url).Output);

            // 2 MiB: curl waits for 100 Continue, the body streams to the segment, and the answer is sent from the file.
            byte[] large = Random(2 << 20, seed: 1);
            string upload = _dir.File("large.bin");
            File.WriteAllBytes(upload, large);
            Assert.Equal("201", Curl("-X", "PUT", "--data-binary", "@" + upload, line.BaseAddress + "large").Output);
            Assert.Equal(large, Get(line.BaseAddress + "large", "200"));

            Assert.Equal("204", Curl("-X", "DELETE", url).Output);
            Assert.Equal("404", Curl("-X", "DELETE", url).Output);
            Get(url, "404");
            AssertQuiet(host);
        }

        [Fact]
        public async Task APipelinedBatchOnOneConnectionIsAnsweredInOrder()
        {
            (HostProcess host, StartupLine line) = _published.SharedHost();

            // curl does not pipeline: the batch is written by hand, all of it in one send before any answer is read.
            byte[] streamed = Random(40_000, seed: 2); // past the 16 KiB body area, in the middle of the batch
            var batch = new List<(byte[] Request, int Status, byte[]? Body)>
            {
                (Requests.Put("/p/0", "zero"), 201, null),
                (Requests.Put("/p/1", streamed), 201, null),
                (Ascii(Requests.Get("/p/0")), 200, Encoding.UTF8.GetBytes("zero")),
                (Requests.Put("/p/0", "zero again", "POST"), 204, null),
                (Ascii(Requests.Get("/p/1")), 200, streamed),
                (Ascii(Requests.Delete("/p/1")), 204, null),
                (Ascii(Requests.Get("/p/1")), 404, null),
                (Ascii(Requests.Delete("/p/1")), 404, null),
                (Ascii(Requests.Get("/p/0", "Connection: close\r\n")), 200, Encoding.UTF8.GetBytes("zero again")),
            };
            byte[] all = batch.SelectMany(b => b.Request).ToArray();

            using var connection = new RawConnection(line.Port, timeoutMilliseconds: 60_000);
            Task send = Task.Run(() => connection.Send(all)); // answers are read meanwhile, so neither side's buffers fill up
            for (int i = 0; i < batch.Count; i++)
            {
                RawResponse response = connection.ReadResponse();
                Assert.True(batch[i].Status == response.Status, "request " + i + ": " + response.StatusLine);
                if (batch[i].Body is byte[] body)
                {
                    Assert.Equal(body, response.Body);
                }
            }

            await send;
            Assert.True(connection.WaitClosed(TimeSpan.FromSeconds(30)), "the connection stayed open after Connection: close");
            AssertQuiet(host);
        }

        [Fact]
        public void AChunkedUploadWithCurlIsStoredWhole()
        {
            (HostProcess host, StartupLine line) = _published.SharedHost();
            string url = line.BaseAddress + "chunked";
            byte[] value = Random(300_000, seed: 3);
            string upload = _dir.File("chunked.bin");
            File.WriteAllBytes(upload, value);

            (int exitCode, string status, string verbose) = Curl("-v", "-X", "PUT", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + upload, url);
            Assert.True(exitCode == 0 && status == "201", status + " " + verbose);
            Assert.Contains("> Transfer-Encoding: chunked", verbose, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("> Content-Length", verbose, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(value, Get(url, "200"));
            AssertQuiet(host);
        }

        [Fact]
        public void AfterSigtermAndARestartOnTheSameDataTheValuesAreThere()
        {
            byte[] large = Random(1 << 20, seed: 4);
            string upload = _dir.File("kept.bin");
            File.WriteAllBytes(upload, large);
            using (HostProcess host = Start())
            {
                StartupLine line = host.WaitForListening();
                Assert.Equal(0, line.KeysRecovered);
                Assert.Equal("201", Curl("-X", "PUT", "--data-binary", "one", line.BaseAddress + "kept/1").Output);
                Assert.Equal("201", Curl("-X", "PUT", "-H", "Transfer-Encoding: chunked", "--data-binary", "@" + upload, line.BaseAddress + "kept/2").Output);
                Assert.Equal("201", Curl("-X", "PUT", "--data-binary", "soon gone", line.BaseAddress + "gone").Output);
                Assert.Equal("204", Curl("-X", "DELETE", line.BaseAddress + "gone").Output);
                Stop(host);
            }

            using (HostProcess again = Start())
            {
                StartupLine line = again.WaitForListening();
                Assert.Equal(2, line.KeysRecovered);
                Assert.Equal("one", Encoding.UTF8.GetString(Get(line.BaseAddress + "kept/1", "200")));
                Assert.Equal(large, Get(line.BaseAddress + "kept/2", "200"));
                Get(line.BaseAddress + "gone", "404");
                Stop(again);
            }
        }

        private static byte[] Ascii(string request) => Encoding.ASCII.GetBytes(request);

        private static byte[] Random(int length, int seed)
        {
            byte[] bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }

        private static string Resolved(string path) => new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);

        /// <summary>The shared host has said nothing on stderr: no error logged, no runtime or emulator complaint.</summary>
        private static void AssertQuiet(HostProcess host) => Assert.True(host.Stderr.Count == 0, host.Describe());

        /// <summary>SIGTERM, then a clean exit: code 0, the last line, and nothing on stderr (a runtime or emulator complaint would be there).</summary>
        private static void Stop(HostProcess host)
        {
            host.Signal("TERM");
            Assert.True(host.WaitForExit() == 0, host.Describe());
            Assert.True(host.Stdout.Count > 0 && host.Stdout[^1] == "EmbedKv stopped", host.Describe());
            Assert.True(host.Stderr.Count == 0, host.Describe());
        }

        private HostProcess Start() => EmulatedHost.Start(_published, _dir.Path, DataDirectory);

        private static (int ExitCode, string Output, string Errors) Curl(params string[] arguments)
        {
            (int ExitCode, string Output, string Errors) result = ExternalTools.RunCurl(arguments);
            Assert.True(result.ExitCode == 0, "curl " + string.Join(' ', arguments) + " failed: " + result.Errors);
            return result;
        }

        /// <summary>GETs <paramref name="url"/> with curl, checks the status, and returns the body.</summary>
        private byte[] Get(string url, string status)
        {
            string body = _dir.File("body-" + Guid.NewGuid().ToString("N"));
            Assert.Equal(status, Curl("-o", body, url).Output);
            return File.ReadAllBytes(body);
        }
    }
}
