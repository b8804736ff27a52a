using System;
using System.Collections.Concurrent;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Server;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// <c>POST /_admin/checkpoint?dir=PATH</c> with an admin token, on a real server under write load from
    /// HttpClient writers: the copy opens, and holds every write acknowledged before the request was sent,
    /// and none with a version above the checkpoint's sequence (writes that started after it).
    /// </summary>
    public sealed class CheckpointEndpointTests : IDisposable
    {
        private const string AdminToken = "admin-token-for-checkpoints";
        private const string WriterToken = "writer-token-for-checkpoints";
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task ACheckpointTakenUnderWriteLoadHoldsExactlyTheAcknowledgedWritesBeforeIt()
        {
            using TestServer server = TestServer.Start(o =>
            {
                o.SegmentSize = 16 * 1024; // several sealed segments to link, and an active one to copy
                o.Tokens.Add(new AccessToken { Name = "admin", Hash = AccessToken.HashOf(AdminToken), Scopes = TokenScopes.Admin });
                o.Tokens.Add(new AccessToken { Name = "writer", Hash = AccessToken.HashOf(WriterToken) });
            });

            // Every acknowledged write: key, value, version, and when its answer came (a sequence number of ours).
            var acknowledged = new ConcurrentBag<(string Key, string Value, ulong Version, long AnsweredAt)>();
            long clock = 0;
            using var stop = new CancellationTokenSource();
            Task[] writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
            {
                using HttpClient client = Client(server, WriterToken);
                for (int i = 0; !stop.IsCancellationRequested; i++)
                {
                    string key = "w" + w + "/k" + (i % 50);
                    string value = "w" + w + "-" + i + new string('x', 200);
                    using HttpResponseMessage put = await client.PutAsync("/" + Uri.EscapeDataString(key), new StringContent(value));
                    Assert.True(put.IsSuccessStatusCode, put.StatusCode.ToString());
                    ulong version = Convert.ToUInt64(put.Headers.ETag!.Tag.Trim('"'), 16);
                    acknowledged.Add((key, value, version, Interlocked.Increment(ref clock)));
                }
            })).ToArray();

            // Enough written for several sealed segments, however slow the machine.
            for (int waited = 0; acknowledged.Count < 400 && waited < 30_000; waited += 20)
            {
                await Task.Delay(20);
            }

            string target = _dir.File("checkpoint");
            using HttpClient admin = Client(server, AdminToken);
            long sentAt = Interlocked.Increment(ref clock);
            using HttpResponseMessage answer = await admin.PostAsync("/_admin/checkpoint?dir=" + Uri.EscapeDataString(target), null);
            string body = await answer.Content.ReadAsStringAsync();
            Assert.True(answer.StatusCode == HttpStatusCode.OK, body);
            await Task.Delay(200);
            stop.Cancel();
            await Task.WhenAll(writers);

            using JsonDocument report = JsonDocument.Parse(body);
            ulong sequence = report.RootElement.GetProperty("sequence").GetUInt64();
            Assert.Equal(target, report.RootElement.GetProperty("dir").GetString());
            Assert.True(report.RootElement.GetProperty("segmentsLinked").GetInt32() > 0, body);

            // Before: every write answered before the POST was sent has a version at or below the sequence.
            Assert.All(acknowledged.Where(a => a.AnsweredAt < sentAt), a => Assert.True(a.Version <= sequence, a.Key + " v" + a.Version + " > " + sequence));
            Assert.Contains(acknowledged, a => a.Version > sequence); // the writers went on past it

            Assert.False(StoreCheck.Check(target).IsDamaged);
            using KvStore copy = KvStore.Open(new StoreOptions { DataDirectory = target });
            foreach (IGrouping<string, (string Key, string Value, ulong Version, long AnsweredAt)> key in acknowledged.GroupBy(a => a.Key))
            {
                var upTo = key.Where(a => a.Version <= sequence).OrderBy(a => a.Version).ToList();
                byte[]? held = copy.Get(Encoding.UTF8.GetBytes(key.Key));
                if (upTo.Count == 0)
                {
                    Assert.Null(held); // its first write came after the point
                    continue;
                }

                Assert.Equal(upTo[^1].Value, held is null ? null : Encoding.UTF8.GetString(held));
            }
        }

        [Fact]
        public async Task ATargetThatIsNotEmptyIs409AndLeftAlone()
        {
            using TestServer server = TestServer.Start(o => o.Tokens.Add(new AccessToken { Name = "admin", Hash = AccessToken.HashOf(AdminToken), Scopes = TokenScopes.Admin }));
            string target = _dir.File("occupied");
            Directory.CreateDirectory(target);
            File.WriteAllText(Path.Combine(target, "mine"), "not yours");
            using HttpClient admin = Client(server, AdminToken);
            using HttpResponseMessage answer = await admin.PostAsync("/_admin/checkpoint?dir=" + Uri.EscapeDataString(target), null);
            Assert.Equal(HttpStatusCode.Conflict, answer.StatusCode);
            Assert.Contains("exists and is not empty", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Equal(new[] { "mine" }, Directory.GetFiles(target).Select(Path.GetFileName));
        }

        private static HttpClient Client(TestServer server, string token)
        {
            HttpClient client = TestServer.NewClient(server.Server.BaseAddress);
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }
    }
}
