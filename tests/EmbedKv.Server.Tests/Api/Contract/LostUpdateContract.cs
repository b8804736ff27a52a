using System.Globalization;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api.Contract
{
    /// <summary>
    /// Read-modify-write from many clients at once, with HttpClient (docs/api.md, issue 13): compare-and-set
    /// with If-Match loses no update, and of two clients creating one key with If-None-Match: * exactly one
    /// wins. Durable writes (the default), so conditions meet writes still waiting for their sync. On each backend
    /// (<see cref="ApiBackend"/>), for <see cref="ApiBackend.RaceRounds"/> rounds.
    /// </summary>
    public abstract class LostUpdateContract
    {
        private protected LostUpdateContract(ApiBackend backend) => Backend = backend;

        private protected ApiBackend Backend { get; }

        [Fact]
        public async Task SixtyFourClientsIncrementingWithIfMatchLoseNoUpdate()
        {
            const int Clients = 64;
            int increments = Backend.RaceRounds;
            using TestServer server = Backend.Start();
            using HttpClient setup = server.Client();
            Assert.Equal(HttpStatusCode.Created, (await setup.PutAsync("/counter", new StringContent("0"))).StatusCode);

            int successes = 0, conflicts = 0;
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
            {
                using HttpClient client = server.Client();
                for (int done = 0; done < increments;)
                {
                    using HttpResponseMessage read = await client.GetAsync("/counter");
                    Assert.Equal(HttpStatusCode.OK, read.StatusCode);
                    EntityTagHeaderValue etag = read.Headers.ETag!;
                    Assert.False(etag.IsWeak);
                    long value = long.Parse(await read.Content.ReadAsStringAsync(), CultureInfo.InvariantCulture);

                    using var write = new HttpRequestMessage(HttpMethod.Put, "/counter") { Content = new StringContent((value + 1).ToString(CultureInfo.InvariantCulture)) };
                    write.Headers.IfMatch.Add(etag);
                    using HttpResponseMessage written = await client.SendAsync(write);
                    if (written.StatusCode == HttpStatusCode.PreconditionFailed)
                    {
                        Interlocked.Increment(ref conflicts);
                        continue;
                    }

                    Assert.Equal(HttpStatusCode.NoContent, written.StatusCode);
                    Assert.NotEqual(etag, written.Headers.ETag);
                    Interlocked.Increment(ref successes);
                    done++;
                }
            }));

            Assert.Equal(Clients * increments, successes);
            Assert.Equal(successes.ToString(CultureInfo.InvariantCulture), await setup.GetStringAsync("/counter"));
            Assert.True(conflicts > 0, "64 clients never collided: the test did not test the race");
        }

        [Fact]
        public async Task OfTwoClientsCreatingOneKeyExactlyOneWins()
        {
            using TestServer server = Backend.Start();
            using HttpClient first = server.Client();
            using HttpClient second = server.Client();
            for (int round = 0; round < Backend.RaceRounds; round++)
            {
                string key = "/race-" + round;
                HttpResponseMessage[] answers = await Task.WhenAll(
                    CreateOnly(first, key, "first"),
                    CreateOnly(second, key, "second"));
                HttpStatusCode[] statuses = answers.Select(a => a.StatusCode).OrderBy(s => (int)s).ToArray();
                Assert.Equal(new[] { HttpStatusCode.Created, HttpStatusCode.PreconditionFailed }, statuses);
                string winner = answers[0].StatusCode == HttpStatusCode.Created ? "first" : "second";
                Assert.Equal(winner, await first.GetStringAsync(key));
            }
        }

        private static Task<HttpResponseMessage> CreateOnly(HttpClient client, string key, string value)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, key) { Content = new StringContent(value, Encoding.UTF8) };
            request.Headers.IfNoneMatch.Add(EntityTagHeaderValue.Any);
            return client.SendAsync(request);
        }
    }
}
