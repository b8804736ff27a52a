using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// A full disk over HTTP (issue 10, defect 5): writes answer 507 Insufficient Storage (RFC 4918 §11.5),
    /// reads go on, the server starts on a completely full disk, and writes work again once space is freed,
    /// without a restart.
    /// </summary>
    public sealed class FullDiskHttpTests
    {
        private readonly ITestOutputHelper _output;

        public FullDiskHttpTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task WritesAnswer507WhileTheDiskIsFullAndResumeWithoutARestart()
        {
            using var mount = TmpfsMount.TryCreate(4, out string? why);
            if (mount is null)
            {
                _output.WriteLine("SKIPPED: cannot mount a tmpfs here: " + why);
                return;
            }

            string filler = Path.Combine(mount.Path, "filler");
            File.WriteAllBytes(filler, new byte[1024 * 1024]); // room, once deleted, for a reserved segment and a streamed value
            KvServerOptions options = TestServer.Options(Path.Combine(mount.Path, "data"), o => o.SegmentSize = 256 * 1024);
            var model = new Dictionary<string, byte[]>();
            int next = 0;

            using (KvServer server = KvServer.Start(options))
            using (HttpClient client = TestServer.NewClient(server.BaseAddress))
            {
                // 1. PUTs fill the disk until one is refused.
                HttpResponseMessage refused;
                while (true)
                {
                    byte[] value = Value(4096, next);
                    refused = await client.PutAsync("k" + next, new ByteArrayContent(value));
                    if (refused.StatusCode != HttpStatusCode.Created)
                    {
                        break;
                    }

                    model["k" + next++] = value;
                    Assert.True(next < 2000, "the disk never filled up");
                }

                string body = await refused.Content.ReadAsStringAsync();
                _output.WriteLine("1. " + next + " PUTs stored, then " + (int)refused.StatusCode + " " + refused.ReasonPhrase + ": " + body.Trim() + " " + mount.Usage());
                Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
                Assert.Equal("Insufficient Storage", refused.ReasonPhrase);
                Assert.Equal("text/plain", refused.Content.Headers.ContentType?.MediaType);
                Assert.Contains("disk is full", body, StringComparison.Ordinal);
                await ExpectReads(client, model);

                // A streamed value (larger than the body area) is refused the same way.
                Assert.Equal(HttpStatusCode.InsufficientStorage, (await client.PutAsync("big", new ByteArrayContent(Value(64 * 1024, -1)))).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("big")).StatusCode);
                Assert.Null(server.Store.WriteFailure);
            }

            // 2. The last free byte goes to the filler, and the server starts on the completely full disk.
            mount.FillWith("filler");
            Assert.Equal(0, mount.Available());
            using (KvServer server = KvServer.Start(options))
            using (HttpClient client = TestServer.NewClient(server.BaseAddress))
            {
                _output.WriteLine("2. started on the full disk " + mount.Usage());
                await ExpectReads(client, model);
                Assert.Equal(HttpStatusCode.InsufficientStorage, (await client.PutAsync("new", new ByteArrayContent(Value(100, 1)))).StatusCode);
                Assert.Equal(HttpStatusCode.InsufficientStorage, (await client.DeleteAsync("k1")).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("k1")).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("new")).StatusCode);

                // 3. The operator frees space: PUTs and DELETEs work again, with no restart.
                File.Delete(filler);
                var clock = Stopwatch.StartNew();
                HttpStatusCode status;
                while ((status = (await client.PutAsync("new", new ByteArrayContent(Value(100, 1)))).StatusCode) == HttpStatusCode.InsufficientStorage
                    && clock.Elapsed < TimeSpan.FromSeconds(10))
                {
                    Thread.Sleep(50);
                }

                _output.WriteLine("3. PUT answered " + (int)status + " " + clock.ElapsedMilliseconds + " ms after the filler was deleted " + mount.Usage());
                Assert.Equal(HttpStatusCode.Created, status);
                model["new"] = Value(100, 1);
                Assert.Equal(HttpStatusCode.NoContent, (await client.PutAsync("new", new ByteArrayContent(Value(200, 2)))).StatusCode);
                model["new"] = Value(200, 2);
                Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("k1")).StatusCode);
                model.Remove("k1");
                Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("big", new ByteArrayContent(Value(64 * 1024, -1)))).StatusCode);
                model["big"] = Value(64 * 1024, -1);
                await ExpectReads(client, model);
                Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("k1")).StatusCode);
                Assert.Equal(model.Count, server.Store.Count);
            }
        }

        private static async Task ExpectReads(HttpClient client, Dictionary<string, byte[]> model)
        {
            foreach ((string key, byte[] value) in model)
            {
                using HttpResponseMessage got = await client.GetAsync(key);
                Assert.Equal(HttpStatusCode.OK, got.StatusCode);
                Assert.Equal(value, await got.Content.ReadAsByteArrayAsync());
            }
        }

        private static byte[] Value(int length, int seed)
        {
            byte[] bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }
    }
}
