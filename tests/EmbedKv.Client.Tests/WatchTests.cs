using System;
using System.Collections.Generic;
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
    }
}
