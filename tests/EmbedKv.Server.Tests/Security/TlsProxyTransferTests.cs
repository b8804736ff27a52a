using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Server;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// docs/security.md's nginx recipe in front of a real server: requests and values go through TLS whole, and
    /// versions, preconditions, ranges and long-polls mean what they mean without the proxy.
    /// </summary>
    public sealed class TlsProxyTransferTests : IDisposable
    {
        private readonly TestServer _server = TestServer.Start();
        private readonly NginxProxy _proxy;
        private readonly TempDirectory _files = new TempDirectory();

        public TlsProxyTransferTests()
        {
            try
            {
                _proxy = NginxProxy.Start(_server.Port);
            }
            catch
            {
                _server.Dispose();
                _files.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            _proxy.Dispose();
            _server.Dispose();
            _files.Dispose();
        }

        [Theory]
        [InlineData(SslProtocols.Tls12)]
        [InlineData(SslProtocols.Tls13)]
        public async Task PutGetAndDeleteGoThroughOverTls12And13(SslProtocols protocol)
        {
            using HttpClient client = TlsClients.Trusting(_proxy.Certificates.Authority, _proxy.BaseAddress, protocol);
            using (HttpResponseMessage put = await client.PutAsync("greeting", new StringContent("hello over " + protocol)))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            Assert.Equal("hello over " + protocol, await client.GetStringAsync("greeting"));
            Assert.Equal("hello over " + protocol, Encoding.UTF8.GetString(_server.Server.Store.Get(Requests.Utf8("greeting"))!));
            using (HttpResponseMessage delete = await client.DeleteAsync("greeting"))
            {
                Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
            }

            using HttpResponseMessage gone = await client.GetAsync("greeting");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        [Fact]
        public async Task LargeValuesStreamThroughWithoutTemporaryFiles()
        {
            byte[] value = new byte[1 << 20];
            new Random(14).NextBytes(value);
            using HttpClient client = TlsClients.Trusting(_proxy.Certificates.Authority, _proxy.BaseAddress);

            using (HttpResponseMessage put = await client.PutAsync("big/length", new ByteArrayContent(value)))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            // Chunked: with request buffering off nginx forwards the chunks instead of collecting them first.
            using (var request = new HttpRequestMessage(HttpMethod.Put, "big/chunked") { Content = new ByteArrayContent(value) })
            {
                request.Headers.TransferEncodingChunked = true;
                using HttpResponseMessage put = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            Assert.Equal(value, await client.GetByteArrayAsync("big/length"));
            Assert.Equal(value, await client.GetByteArrayAsync("big/chunked"));
            Assert.Equal(value, _server.Server.Store.Get(Requests.Utf8("big/chunked")));

            string upload = _files.File("upload.bin");
            string download = _files.File("download.bin");
            File.WriteAllBytes(upload, value);
            string url = _proxy.BaseAddress + "big/curl";
            Assert.Equal((0, "201"), Curl("--cacert", _proxy.Certificates.AuthorityPem, "-X", "PUT", "--data-binary", "@" + upload, url));
            Assert.Equal((0, "200"), Curl("--cacert", _proxy.Certificates.AuthorityPem, "-o", download, url));
            Assert.Equal(value, File.ReadAllBytes(download));

            // A client that reads late: with response buffering on, nginx would keep reading from the server and
            // spool what the socket buffers cannot hold to a temporary file; off, it waits for the client.
            byte[] large = new byte[8 << 20];
            new Random(15).NextBytes(large);
            using (HttpResponseMessage put = await client.PutAsync("big/slow", new ByteArrayContent(large)))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            using (HttpResponseMessage slow = await client.GetAsync("big/slow", HttpCompletionOption.ResponseHeadersRead))
            {
                await Task.Delay(500);
                Assert.Equal(large, await slow.Content.ReadAsByteArrayAsync());
            }

            // nginx logs at warn whenever it spools a request body or an answer to a temporary file.
            Assert.DoesNotContain("buffered to a temporary file", _proxy.ErrorLog, StringComparison.Ordinal);
        }

        [Fact]
        public async Task StrongETagsAndPreconditionsPassThrough()
        {
            using HttpClient client = TlsClients.Trusting(_proxy.Certificates.Authority, _proxy.BaseAddress);
            using HttpClient direct = TestServer.NewClient(_server.Server.BaseAddress);
            string text = new string('a', 4096); // compressible, as gzip would like it
            EntityTagHeaderValue first;
            using (HttpResponseMessage put = await client.PutAsync("etag", new StringContent(text)))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                first = put.Headers.ETag!;
            }

            // The tag the client sees through nginx is the server's own and strong, even to a client that takes
            // gzip from a proxy whose http block compresses every type.
            using (var get = new HttpRequestMessage(HttpMethod.Get, "etag"))
            {
                get.Headers.AcceptEncoding.ParseAdd("gzip");
                using HttpResponseMessage answer = await client.SendAsync(get);
                using HttpResponseMessage fromServer = await direct.GetAsync("etag");
                Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
                Assert.False(answer.Headers.ETag!.IsWeak, "nginx weakened the ETag: " + answer.Headers.ETag);
                Assert.Equal(fromServer.Headers.ETag, answer.Headers.ETag);
                Assert.Equal(first, answer.Headers.ETag);
                Assert.Empty(answer.Content.Headers.ContentEncoding);
                Assert.Equal(text, await answer.Content.ReadAsStringAsync());
            }

            EntityTagHeaderValue second;
            using (HttpResponseMessage update = await Send(client, HttpMethod.Put, "etag", "If-Match", first.Tag, new StringContent("second")))
            {
                Assert.Equal(HttpStatusCode.NoContent, update.StatusCode);
                second = update.Headers.ETag!;
            }

            // The lost update: a write conditional on the first version is refused by the server, through nginx.
            using (HttpResponseMessage stale = await Send(client, HttpMethod.Put, "etag", "If-Match", first.Tag, new StringContent("lost")))
            {
                Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);
            }

            Assert.Equal((0, "412"), Curl("--cacert", _proxy.Certificates.AuthorityPem, "-X", "PUT", "-H", "If-Match: " + first.Tag, "--data-binary", "lost", _proxy.BaseAddress + "etag"));
            Assert.Equal("second", await client.GetStringAsync("etag"));

            using (HttpResponseMessage notModified = await Send(client, HttpMethod.Get, "etag", "If-None-Match", second.Tag))
            {
                Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
                Assert.Equal(second, notModified.Headers.ETag);
            }

            using (HttpResponseMessage part = await Send(client, HttpMethod.Get, "etag", "Range", "bytes=1-3"))
            {
                Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
                Assert.Equal("eco", await part.Content.ReadAsStringAsync());
                Assert.Equal("bytes 1-3/6", part.Content.Headers.ContentRange!.ToString());
                Assert.Equal(second, part.Headers.ETag);
            }
        }

        [Fact]
        public void KeysArriveAsTheClientSentThem()
        {
            // nginx would merge the slashes and resolve the dot segment if proxy_pass had a path after its upstream.
            string cacert = _proxy.Certificates.AuthorityPem;
            Assert.Equal((0, "201"), Curl("--cacert", cacert, "--path-as-is", "-X", "PUT", "--data-binary", "two slashes", _proxy.BaseAddress + "a//b"));
            Assert.Equal((0, "201"), Curl("--cacert", cacert, "--path-as-is", "-X", "PUT", "--data-binary", "a dot segment", _proxy.BaseAddress + "x/../y"));
            Assert.Equal((0, "201"), Curl("--cacert", cacert, "-X", "PUT", "--data-binary", "encoded", _proxy.BaseAddress + "p%2Fq%20r"));
            Assert.Equal("two slashes", Encoding.UTF8.GetString(_server.Server.Store.Get(Requests.Utf8("a//b"))!));
            Assert.Equal("a dot segment", Encoding.UTF8.GetString(_server.Server.Store.Get(Requests.Utf8("x/../y"))!));
            Assert.Equal("encoded", Encoding.UTF8.GetString(_server.Server.Store.Get(Requests.Utf8("p/q r"))!));
            Assert.Null(_server.Server.Store.Get(Requests.Utf8("a/b")));
            Assert.Null(_server.Server.Store.Get(Requests.Utf8("y")));
        }

        [Fact]
        public async Task ALongPollWaitsBehindTheProxyAndIsWokenByAWrite()
        {
            using HttpClient client = TlsClients.Trusting(_proxy.Certificates.Authority, _proxy.BaseAddress);
            using HttpClient writer = TlsClients.Trusting(_proxy.Certificates.Authority, _proxy.BaseAddress);
            EntityTagHeaderValue current;
            using (HttpResponseMessage put = await client.PutAsync("config", new StringContent("v1")))
            {
                current = put.Headers.ETag!;
            }

            using var wait = new HttpRequestMessage(HttpMethod.Get, "config");
            wait.Headers.TryAddWithoutValidation("Prefer", "wait=20");
            wait.Headers.IfNoneMatch.Add(current);
            Task<HttpResponseMessage> waiting = client.SendAsync(wait);
            await Task.Delay(300);
            Assert.False(waiting.IsCompleted, "the long-poll was answered before any write");

            using (HttpResponseMessage put = await writer.PutAsync("config", new StringContent("v2")))
            {
                Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
            }

            using HttpResponseMessage woken = await waiting.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(HttpStatusCode.OK, woken.StatusCode);
            Assert.Equal("v2", await woken.Content.ReadAsStringAsync());
        }

        [Fact]
        public void TheRecipeWaitsLongerThanTheLongestLongPoll()
        {
            // A 300 s wait cannot be run in a unit test; this holds the page's timeout to the server's limit instead.
            System.Text.RegularExpressions.Match timeout = System.Text.RegularExpressions.Regex.Match(ProxyRecipe.Block(), @"proxy_read_timeout (\d+)s;");
            Assert.True(timeout.Success, "the recipe sets no proxy_read_timeout in seconds");
            Assert.True(int.Parse(timeout.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 300, "proxy_read_timeout must exceed the 300 s a long-poll may wait");
        }

        private static async Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string target, string header, string value, HttpContent? content = null)
        {
            using var request = new HttpRequestMessage(method, target) { Content = content };
            request.Headers.TryAddWithoutValidation(header, value);
            return await client.SendAsync(request);
        }

        private static (int ExitCode, string Status) Curl(params string[] arguments)
        {
            (int exitCode, string output, string errors) = ExternalTools.RunCurl(arguments);
            Assert.True(exitCode == 0, "curl " + string.Join(' ', arguments.Where(a => !a.StartsWith('@'))) + " failed (" + exitCode + "): " + errors);
            return (exitCode, output);
        }
    }
}
