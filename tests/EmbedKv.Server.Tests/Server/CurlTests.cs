using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using EmbedKv.Server.Tests.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>curl as a second, independent client (installed by .ci/run); skipped, saying why, where it is missing.</summary>
    public sealed class CurlTests : IDisposable
    {
        private static readonly string? Curl = FindCurl();

        private readonly TempDirectory _files = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public CurlTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _files.Dispose();

        [Fact]
        public void PutGetHeadDeleteWithCurl()
        {
            if (!Available())
            {
                return;
            }

            using TestServer server = TestServer.Start();
            string url = server.Server.BaseAddress + "curl/value";
            byte[] value = new byte[2 << 20];
            new Random(12).NextBytes(value);
            string upload = _files.File("upload.bin");
            File.WriteAllBytes(upload, value);

            // 2 MiB: curl sends Expect: 100-continue and waits for the interim response before the body.
            (string code, string verbose) = Run("-v", "-X", "PUT", "--data-binary", "@" + upload, url);
            Assert.Equal("201", code);
            Assert.Contains("Expect: 100-continue", verbose, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("< HTTP/1.1 100 Continue", verbose, StringComparison.Ordinal);
            Assert.DoesNotContain("Done waiting for 100-continue", verbose, StringComparison.Ordinal); // it did not give up waiting
            Assert.Equal(value, server.Server.Store.Get(Requests.Utf8("curl/value")));

            Assert.Equal("204", Run("-X", "PUT", "--data-binary", "@" + upload, url).Code);

            // Too large, with Expect (curl waits and never sends the body) and without (curl is mid-body when refused).
            using (TestServer small = TestServer.Start(o => o.MaxValueLength = 1 << 20))
            {
                string smallUrl = small.Server.BaseAddress + "too-large";
                Assert.Equal("413", Run("-X", "PUT", "--data-binary", "@" + upload, smallUrl).Code);
                Assert.Equal("413", Run("-X", "PUT", "-H", "Expect:", "--data-binary", "@" + upload, smallUrl).Code);
                Assert.Null(small.Server.Store.Get(Requests.Utf8("too-large")));
            }

            string download = _files.File("download.bin");
            Assert.Equal("200", Run("-o", download, url).Code);
            Assert.Equal(value, File.ReadAllBytes(download));

            string headers = _files.File("headers.txt");
            Assert.Equal("200", Run("-I", "-D", headers, url).Code);
            string[] lines = File.ReadAllLines(headers);
            Assert.Equal("HTTP/1.1 200 OK", lines[0]);
            Assert.Contains("Content-Length: " + value.Length, lines);
            Assert.Contains("Content-Type: application/octet-stream", lines);
            Assert.Contains(lines, l => l.StartsWith("Date: ", StringComparison.Ordinal));

            Assert.Equal("204", Run("-X", "DELETE", url).Code);
            Assert.Equal("404", Run("-X", "DELETE", url).Code);
            Assert.Equal("404", Run("-o", download, url).Code);
            Assert.Equal("404", Run("-I", url).Code);
            Assert.Null(server.Server.Store.Get(Requests.Utf8("curl/value")));
        }

        [Fact]
        public void CurlChunkedUploadsKeysAndPersistentConnections()
        {
            if (!Available())
            {
                return;
            }

            using TestServer server = TestServer.Start();
            string baseUrl = server.Server.BaseAddress.ToString();
            byte[] value = new byte[300_000];
            new Random(13).NextBytes(value);
            string upload = _files.File("chunked.bin");
            File.WriteAllBytes(upload, value);

            // Chunked, as curl frames it.
            Assert.Equal("201", Run("-H", "Transfer-Encoding: chunked", "--data-binary", "@" + upload, baseUrl + "chunked").Code);
            Assert.Equal(value, server.Server.Store.Get(Requests.Utf8("chunked")));

            // POST of a small body, keys with %2F and UTF-8, and a path curl must not normalize.
            string small = _files.File("small.txt");
            File.WriteAllText(small, "été");
            Assert.Equal("201", Run("--data-binary", "@" + small, baseUrl + "a%2Fb%20%C3%A9t%C3%A9").Code);
            Assert.Equal(Requests.Utf8("été"), server.Server.Store.Get(Requests.Utf8("a/b été")));
            Assert.Equal("404", Run("--path-as-is", baseUrl + "../../etc/passwd").Code);

            // Several URLs in one run share one connection: only the first connects.
            (string codes, _) = Run("-w", "%{http_code}:%{num_connects}\\n", "-o", "/dev/null", baseUrl + "chunked", "-o", "/dev/null", baseUrl + "missing", "-o", "/dev/null", baseUrl + "chunked");
            Assert.Equal(new[] { "200:1", "404:0", "200:0" }, codes.Split('\n', StringSplitOptions.RemoveEmptyEntries));

            // HTTP/1.0: answered, and the connection is not reused.
            (string ten, _) = Run("-0", "-w", "%{http_code}:%{num_connects}\\n", "-o", "/dev/null", baseUrl + "chunked", "-o", "/dev/null", baseUrl + "chunked");
            Assert.Equal(new[] { "200:1", "200:1" }, ten.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }

        [Fact]
        public void ConditionalWritesRangesAndExpiryWithCurl()
        {
            if (!Available())
            {
                return;
            }

            using TestServer server = TestServer.Start();
            string url = server.Server.BaseAddress + "curl/api";
            string headers = _files.File("api-headers.txt");

            // Create-only, then a second create refused; the ETag is a strong tag.
            Assert.Equal("201", Run("-X", "PUT", "-H", "If-None-Match: *", "--data-binary", "0123456789", "-D", headers, url).Code);
            string etag = File.ReadAllLines(headers).Single(l => l.StartsWith("ETag:", StringComparison.OrdinalIgnoreCase)).Substring(5).Trim();
            Assert.Matches("^\"[0-9a-f]{16}\"$", etag);
            Assert.Equal("412", Run("-X", "PUT", "-H", "If-None-Match: *", "--data-binary", "other", url).Code);

            // A range (curl -r), a read that is not modified, and a compare-and-set with the right and a stale tag.
            string part = _files.File("part.bin");
            Assert.Equal("206", Run("-r", "2-5", "-o", part, url).Code);
            Assert.Equal("2345", File.ReadAllText(part));
            Assert.Equal("304", Run("-H", "If-None-Match: " + etag, "-o", "/dev/null", url).Code);
            Assert.Equal("204", Run("-X", "PUT", "-H", "If-Match: " + etag, "--data-binary", "next", url).Code);
            Assert.Equal("412", Run("-X", "PUT", "-H", "If-Match: " + etag, "--data-binary", "lost", url).Code);
            Assert.Equal(Requests.Utf8("next"), server.Server.Store.Get(Requests.Utf8("curl/api")));

            // Expiry: Expires on the read, and a bad ttl refused.
            Assert.Equal("204", Run("-X", "PUT", "--data-binary", "brief", url + "?ttl=600").Code);
            Assert.Equal("200", Run("-D", headers, "-o", "/dev/null", url).Code);
            Assert.Contains(File.ReadAllLines(headers), l => l.StartsWith("Expires:", StringComparison.OrdinalIgnoreCase));
            Assert.Equal("400", Run("-X", "PUT", "--data-binary", "x", url + "?ttl=0").Code);
        }

        [Fact]
        public async System.Threading.Tasks.Task ALongPollWithCurlIsWokenByAnotherCurlsWrite()
        {
            if (!Available())
            {
                return;
            }

            using TestServer server = TestServer.Start();
            string url = server.Server.BaseAddress + "curl/poll";
            string body = _files.File("poll-body.txt");

            // Waits: the key is absent. Another curl writes it, and the first answers with the value.
            System.Threading.Tasks.Task<(string Code, string Stderr)> waiting = System.Threading.Tasks.Task.Run(() => Run("-H", "Prefer: wait=30", "-o", body, url));
            var clock = Stopwatch.StartNew();
            while (server.Server.WaitingReads == 0 && clock.Elapsed < TimeSpan.FromSeconds(20))
            {
                await System.Threading.Tasks.Task.Delay(10);
            }

            Assert.Equal(1, server.Server.WaitingReads);
            Assert.False(waiting.IsCompleted);
            Assert.Equal("201", Run("-X", "PUT", "--data-binary", "news", url).Code);
            Assert.Equal("200", (await waiting).Code);
            Assert.Equal("news", File.ReadAllText(body));

            // At the end of a wait with nothing new: the 404 it would have sent at first.
            Assert.Equal("404", Run("-H", "Prefer: wait=1", url + "-absent").Code);
        }

        private bool Available()
        {
            if (Curl is null)
            {
                _output.WriteLine("skipped: curl is not installed (.ci/run installs it)");
                return false;
            }

            return true;
        }

        /// <summary>Runs curl quietly; returns what -w printed (the status by default) and stderr.</summary>
        private (string Code, string Stderr) Run(params string[] arguments)
        {
            var start = new ProcessStartInfo(Curl!)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in new[] { "-s", "-S", "--max-time", "30" })
            {
                start.ArgumentList.Add(argument);
            }

            if (!arguments.Contains("-w"))
            {
                start.ArgumentList.Add("-w");
                start.ArgumentList.Add("%{http_code}");
                if (!arguments.Contains("-o") && !arguments.Contains("-I"))
                {
                    start.ArgumentList.Add("-o");
                    start.ArgumentList.Add("/dev/null");
                }
            }

            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process curl = Process.Start(start)!;
            System.Threading.Tasks.Task<string> stderr = curl.StandardError.ReadToEndAsync();
            string stdout = curl.StandardOutput.ReadToEnd();
            Assert.True(curl.WaitForExit(60_000), "curl did not finish");
            string errors = stderr.GetAwaiter().GetResult();
            Assert.True(curl.ExitCode == 0, "curl " + string.Join(' ', arguments) + " failed (" + curl.ExitCode + "): " + errors);
            if (arguments.Contains("-I"))
            {
                // -I prints the headers to stdout, then -w's status after them.
                stdout = stdout.Split('\n').Last();
            }

            return (stdout.Trim(), errors);
        }

        private static string? FindCurl()
        {
            foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':'))
            {
                string candidate = Path.Combine(directory, "curl");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }
    }
}
