using System;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading.Tasks;

namespace EmbedKv.Client.Tests
{
    /// <summary>The read-modify-write loop: no lost update under contention, and a bounded number of rounds.</summary>
    public sealed class UpdateTests : IDisposable
    {
        private readonly ServerFixture _server = new ServerFixture();

        public void Dispose() => _server.Dispose();

        [Fact]
        public async Task SixtyFourCallersIncrementingTogetherLoseNoUpdate()
        {
            const int Callers = 64;
            const int IncrementsEach = 5;
            // Attempts enough for the unluckiest of 64 on a loaded machine: what is tested is that no update is lost.
            EmbedKvClient[] clients = Enumerable.Range(0, 4).Select(_ => _server.Client(o => o.UpdateAttempts = 1000)).ToArray();
            await Task.WhenAll(Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
            {
                EmbedKvClient client = clients[caller % clients.Length];
                for (int i = 0; i < IncrementsEach; i++)
                {
                    await client.UpdateAsync("counter", current => Encoding.ASCII.GetBytes((Count(current) + 1).ToString(CultureInfo.InvariantCulture)));
                }
            })));

            KvEntry final = (await clients[0].GetAsync("counter"))!;
            Assert.Equal(Callers * IncrementsEach, Count(final));
        }

        [Fact]
        public async Task AnUpdateCreatesAnAbsentKeyAndReturnsWhatItWrote()
        {
            EmbedKvClient client = _server.Client();
            KvEntry written = await client.UpdateAsync("fresh", current =>
            {
                Assert.Null(current);
                return "first"u8.ToArray();
            });
            Assert.Equal("first", written.ValueAsString());
            Assert.Equal(written.Version, (await client.GetAsync("fresh"))!.Version);

            KvEntry next = await client.UpdateAsync("fresh", async (current, token) =>
            {
                await Task.Yield();
                return Encoding.UTF8.GetBytes(current!.ValueAsString() + "+second");
            });
            Assert.Equal("first+second", (await client.GetAsync("fresh"))!.ValueAsString());
            Assert.True(next.Version > written.Version);
        }

        [Fact]
        public async Task AnUpdateThatThrowsWritesNothing()
        {
            EmbedKvClient client = _server.Client();
            await client.PutAsync("kept", "original");
            await Assert.ThrowsAsync<InvalidOperationException>(() => client.UpdateAsync("kept", _ => throw new InvalidOperationException("no")));
            Assert.Equal("original", (await client.GetAsync("kept"))!.ValueAsString());
        }

        [Fact]
        public async Task AnUpdateThatAlwaysLosesTheRaceGivesUpAfterItsAttempts()
        {
            EmbedKvClient client = _server.Client(o => o.UpdateAttempts = 4);
            EmbedKvClient rival = _server.Client();
            int rounds = 0;
            EmbedKvException gaveUp = await Assert.ThrowsAsync<EmbedKvException>(() => client.UpdateAsync("contested", async (current, token) =>
            {
                rounds++;
                await rival.PutAsync("contested", "rival " + rounds); // another writer always comes first
                return "mine"u8.ToArray();
            }));
            Assert.Equal(4, rounds);
            Assert.Equal(HttpStatusCode.PreconditionFailed, gaveUp.StatusCode);
            Assert.Equal("rival 4", (await client.GetAsync("contested"))!.ValueAsString());
        }

        private static int Count(KvEntry? entry) => entry is null ? 0 : int.Parse(entry.ValueAsString(), CultureInfo.InvariantCulture);

        [Fact]
        public async Task AnUpdateReturnsTheExpiryTheServerStored()
        {
            // Found in review: it returned the client's clock plus the unrounded TTL.
            EmbedKvClient client = _server.Client();
            KvEntry updated = await client.UpdateAsync("leased", _ => "v"u8.ToArray(), TimeSpan.FromSeconds(100.25));
            KvEntry read = (await client.GetAsync("leased"))!;
            Assert.Equal(read.Version, updated.Version);
            Assert.NotNull(read.Expires);
            Assert.Equal(read.Expires, updated.Expires);
        }
    }
}
