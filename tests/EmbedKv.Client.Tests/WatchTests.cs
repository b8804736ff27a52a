using System;
using System.Collections.Generic;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Client.Tests
{
    /// <summary>Watching a key: its versions as they change, across deletes and across a server restart.</summary>
    public sealed class WatchTests : IDisposable
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
        private readonly ServerFixture _server = new ServerFixture();

        public void Dispose() => _server.Dispose();

        [Fact]
        public async Task AWatchReportsTheCurrentVersionThenEachChangeAndAbsenceOnDelete()
        {
            EmbedKvClient client = _server.Client(o => o.WatchWait = TimeSpan.FromSeconds(2)); // re-armed a few times meanwhile
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await using IAsyncEnumerator<KvVersion> watch = client.WatchAsync("config", cancellation: stop.Token).GetAsyncEnumerator();

            Assert.True(await watch.MoveNextAsync());
            Assert.True(watch.Current.IsAbsent);

            KvWriteResult first = await client.PutAsync("config", "a");
            Assert.Equal(first.Version, await Next(watch));

            await Task.Delay(TimeSpan.FromSeconds(3)); // past one wait: the watch must have asked again
            KvWriteResult second = await client.PutAsync("config", string.Empty); // an empty value has no first byte
            Assert.Equal(second.Version, await Next(watch));

            await client.DeleteAsync("config");
            Assert.True((await Next(watch)).IsAbsent);
        }

        [Fact]
        public async Task AWatchFromAKnownVersionReportsOnlyWhatComesAfterIt()
        {
            EmbedKvClient client = _server.Client();
            KvWriteResult known = await client.PutAsync("k", "1");
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await using IAsyncEnumerator<KvVersion> watch = client.WatchAsync("k", known.Version, stop.Token).GetAsyncEnumerator();
            Task<KvVersion> next = Next(watch);
            await Task.Delay(300);
            Assert.False(next.IsCompleted, "reported the version it was given");
            KvWriteResult later = await client.PutAsync("k", "2");
            Assert.Equal(later.Version, await next);
        }

        [Fact]
        public async Task AWatchGoesOnAcrossAServerRestart()
        {
            EmbedKvClient client = _server.Client();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            await using IAsyncEnumerator<KvVersion> watch = client.WatchAsync("leader", cancellation: stop.Token).GetAsyncEnumerator();
            Assert.True(await watch.MoveNextAsync());
            KvWriteResult before = await client.PutAsync("leader", "node-1");
            Assert.Equal(before.Version, await Next(watch));

            Task<KvVersion> next = Next(watch);
            _server.Stop(); // answers the waiting GET as the key stands, then refuses connections
            await Task.Delay(TimeSpan.FromSeconds(1.5));
            Assert.False(next.IsCompleted, "the watch reported something while the server was down");
            _server.Start();

            KvWriteResult after = await _server.Client().PutAsync("leader", "node-2", KvCondition.IfVersion(before.Version)); // the data survived
            Assert.Equal(KvWriteStatus.Replaced, after.Status);
            Assert.Equal(after.Version, await next.WaitAsync(Patience));
        }

        private static async Task<KvVersion> Next(IAsyncEnumerator<KvVersion> watch)
        {
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(Patience));
            return watch.Current;
        }

        [Fact]
        public async Task AWatchFromAVersionWhoseKeyWasDeletedSinceReportsAbsentAtOnce()
        {
            // Found in review: with only If-None-Match, the server held the absent key's 404 for the whole wait.
            EmbedKvClient client = _server.Client(o => o.WatchWait = TimeSpan.FromSeconds(30));
            KvWriteResult written = await client.PutAsync("gone", "v");
            Assert.Equal(KvWriteStatus.Deleted, (await client.DeleteAsync("gone")).Status);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await using IAsyncEnumerator<KvVersion> watch = client.WatchAsync("gone", written.Version, stop.Token).GetAsyncEnumerator();
            Assert.True(await watch.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5)), "the deletion was not reported within 5 s");
            Assert.True(watch.Current.IsAbsent);
        }

        [Fact]
        public async Task AWatchAnsweredWithoutAWaitDoesNotSpin()
        {
            // A proxy that drops Prefer: every long-poll comes back at once, unchanged.
            EmbedKvClient setup = _server.Client();
            KvWriteResult written = await setup.PutAsync("still", "v");
            var sent = new CountingHandler(request => request.Headers.Remove("Prefer"));
            var client = new EmbedKvClient(new HttpClient(sent), new EmbedKvClientOptions { BaseAddress = _server.BaseAddress });
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
            {
                await foreach (KvVersion version in client.WatchAsync("still", written.Version, stop.Token))
                {
                    Assert.Fail("reported " + version + " for a key that did not change");
                }
            });
            Assert.InRange(sent.Sent, 1, 30); // with pauses between (it sent thousands before the fix)
        }
    }
}
