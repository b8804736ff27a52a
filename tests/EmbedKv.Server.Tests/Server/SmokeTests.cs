using System;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>A first end-to-end pass: a real server on a loopback port, a real HttpClient.</summary>
    public sealed class SmokeTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task EveryRouteAnswers()
        {
            using KvServer server = KvServer.Start(new KvServerOptions { Port = 0, DataDirectory = _dir.Path, Workers = 2 });
            using var client = new HttpClient { BaseAddress = server.BaseAddress };

            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("missing")).StatusCode);
            HttpResponseMessage created = await client.PutAsync("greeting", new ByteArrayContent(Encoding.UTF8.GetBytes("hello")));
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            HttpResponseMessage replaced = await client.PostAsync("greeting", new ByteArrayContent(Encoding.UTF8.GetBytes("hello again")));
            Assert.Equal(HttpStatusCode.NoContent, replaced.StatusCode);

            HttpResponseMessage got = await client.GetAsync("greeting");
            Assert.Equal(HttpStatusCode.OK, got.StatusCode);
            Assert.Equal("application/octet-stream", got.Content.Headers.ContentType!.MediaType);
            Assert.Equal("hello again", await got.Content.ReadAsStringAsync());

            HttpResponseMessage head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, "greeting"));
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal(11, head.Content.Headers.ContentLength);

            Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("greeting")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.DeleteAsync("greeting")).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("greeting")).StatusCode);

            byte[] big = new byte[3 << 20];
            new Random(1).NextBytes(big);
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("big", new ByteArrayContent(big))).StatusCode);
            Assert.Equal(big, await client.GetByteArrayAsync("big"));
        }
    }
}
