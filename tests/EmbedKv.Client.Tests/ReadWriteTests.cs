using System;
using System.Net;
using System.Text;
using System.Threading.Tasks;

namespace EmbedKv.Client.Tests
{
    /// <summary>Reads, writes and deletes of one key, with their conditions and expiry, against a real server.</summary>
    public sealed class ReadWriteTests : IDisposable
    {
        private readonly ServerFixture _server = new ServerFixture();

        public void Dispose() => _server.Dispose();

        [Fact]
        public async Task PutGetReplaceAndDeleteReportWhatHappened()
        {
            EmbedKvClient client = _server.Client();
            Assert.Null(await client.GetAsync("greeting"));

            KvWriteResult created = await client.PutAsync("greeting", "hello");
            Assert.Equal(KvWriteStatus.Created, created.Status);
            Assert.True(created.Succeeded);
            KvEntry? read = await client.GetAsync("greeting");
            Assert.NotNull(read);
            Assert.Equal("hello", read.ValueAsString());
            Assert.Equal(created.Version, read.Version);
            Assert.Null(read.Expires);

            KvWriteResult replaced = await client.PutAsync("greeting", Encoding.UTF8.GetBytes("hello again"));
            Assert.Equal(KvWriteStatus.Replaced, replaced.Status);
            Assert.True(replaced.Version > created.Version);
            KvValueInfo? info = await client.GetInfoAsync("greeting");
            Assert.NotNull(info);
            Assert.Equal(replaced.Version, info.Version);
            Assert.Equal(11, info.Length);

            Assert.Equal(KvWriteStatus.Deleted, (await client.DeleteAsync("greeting")).Status);
            Assert.Equal(KvWriteStatus.NotFound, (await client.DeleteAsync("greeting")).Status);
            Assert.Null(await client.GetAsync("greeting"));
            Assert.Null(await client.GetInfoAsync("greeting"));
        }

        [Fact]
        public async Task ConditionsDecideWhetherTheWriteHappensAndAFailedOneIsAResultNotAnException()
        {
            EmbedKvClient client = _server.Client();
            Assert.Equal(KvWriteStatus.PreconditionFailed, (await client.PutAsync("k", "v", KvCondition.IfExists)).Status);
            KvWriteResult first = await client.PutAsync("k", "v1", KvCondition.IfAbsent);
            Assert.Equal(KvWriteStatus.Created, first.Status);

            KvWriteResult again = await client.PutAsync("k", "v2", KvCondition.IfAbsent);
            Assert.Equal(KvWriteStatus.PreconditionFailed, again.Status);
            Assert.False(again.Succeeded);
            Assert.True(again.Version.IsAbsent);

            KvWriteResult second = await client.PutAsync("k", "v2", KvCondition.IfVersion(first.Version));
            Assert.Equal(KvWriteStatus.Replaced, second.Status);
            Assert.Equal(KvWriteStatus.PreconditionFailed, (await client.PutAsync("k", "v3", KvCondition.IfVersion(first.Version))).Status);
            Assert.Equal(KvWriteStatus.PreconditionFailed, (await client.DeleteAsync("k", KvCondition.IfVersion(first.Version))).Status);
            Assert.Equal(KvWriteStatus.PreconditionFailed, (await client.DeleteAsync("k", KvCondition.IfAbsent)).Status);
            Assert.Equal("v2", (await client.GetAsync("k"))!.ValueAsString());

            Assert.Equal(KvWriteStatus.Deleted, (await client.DeleteAsync("k", KvCondition.IfVersion(second.Version))).Status);
            Assert.Equal(KvWriteStatus.PreconditionFailed, (await client.DeleteAsync("k", KvCondition.IfExists)).Status);

            // IfVersion(Absent) is IfAbsent: create only.
            Assert.Equal(KvWriteStatus.Created, (await client.PutAsync("k", "v4", KvCondition.IfVersion(KvVersion.Absent))).Status);
        }

        [Fact]
        public async Task ATimeToLiveIsSentInWholeSecondsAndComesBackAsExpires()
        {
            EmbedKvClient client = _server.Client();
            DateTimeOffset before = DateTimeOffset.UtcNow;
            await client.PutAsync("session", "s", timeToLive: TimeSpan.FromMinutes(90));
            KvEntry read = (await client.GetAsync("session"))!;
            Assert.NotNull(read.Expires);
            Assert.InRange(read.Expires.Value, before.AddMinutes(90).AddSeconds(-1), DateTimeOffset.UtcNow.AddMinutes(90).AddSeconds(2));

            // A write without one clears it, as the API says.
            await client.PutAsync("session", "s");
            Assert.Null((await client.GetAsync("session"))!.Expires);

            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.PutAsync("session", "s", timeToLive: TimeSpan.Zero));
            await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => client.PutAsync("session", "s", timeToLive: TimeSpan.FromDays(3651)));
        }

        [Fact]
        public async Task AValueExpiresOnTheServer()
        {
            EmbedKvClient client = _server.Client();
            await client.PutAsync("brief", "gone soon", timeToLive: TimeSpan.FromSeconds(1));
            Assert.NotNull(await client.GetAsync("brief"));
            await Task.Delay(TimeSpan.FromSeconds(2.2));
            Assert.Null(await client.GetAsync("brief"));
        }

        [Fact]
        public async Task ARefusalCarriesTheStatusAndTheServersReason()
        {
            EmbedKvClient client = _server.Client();
            string tooLong = new string('k', 2000); // over the server's 1024-byte keys
            EmbedKvException refused = await Assert.ThrowsAsync<EmbedKvException>(() => client.PutAsync(tooLong, "v"));
            Assert.Equal(HttpStatusCode.RequestUriTooLong, refused.StatusCode);
            Assert.False(string.IsNullOrWhiteSpace(refused.Reason));
            Assert.DoesNotContain('\n', refused.Reason);
            Assert.StartsWith("PUT /kkk", refused.Operation, StringComparison.Ordinal);
            Assert.Contains("414 " + refused.Reason, refused.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void AKeyHasAtLeastOneByteAndOptionsAreChecked()
        {
            Assert.Throws<ArgumentException>(() => (KvKey)string.Empty);
            Assert.Throws<ArgumentException>(() => new EmbedKvClient(new System.Net.Http.HttpClient()));
            Assert.Throws<ArgumentException>(() => new EmbedKvClient(new System.Net.Http.HttpClient(), new EmbedKvClientOptions { BaseAddress = new Uri("ftp://x/") }));
            Assert.Throws<ArgumentException>(() => _server.Client(o => o.WatchWait = TimeSpan.FromSeconds(301)));

            // Found in review: values a timer cannot take passed, and tokens that cannot be sent.
            Assert.NotNull(new EmbedKvClientOptions { RequestTimeout = TimeSpan.FromDays(60) }.Validate());
            Assert.NotNull(new EmbedKvClientOptions { MaxRetryDelay = TimeSpan.FromDays(60) }.Validate());
            Assert.NotNull(new EmbedKvClientOptions { Token = "t\u00f6ken" }.Validate());
            Assert.NotNull(new EmbedKvClientOptions { Token = "a,\"b\"" }.Validate());
            Assert.NotNull(new EmbedKvClientOptions { Token = "==" }.Validate());
            Assert.Null(new EmbedKvClientOptions { Token = "abc-._~+/XYZ09==" }.Validate());
            Assert.Throws<ArgumentException>(() => (KvKey)"lone \ud800 surrogate");
        }

        [Fact]
        public async Task NoRequestTimeoutMeansNone()
        {
            EmbedKvClient client = _server.Client(o => o.RequestTimeout = System.Threading.Timeout.InfiniteTimeSpan);
            await client.PutAsync("k", "v");
            Assert.Equal("v", (await client.GetAsync("k"))!.ValueAsString());
        }

        [Fact]
        public async Task OptionsChangedAfterTheClientWasMadeDoNotReachIt()
        {
            var options = new EmbedKvClientOptions { BaseAddress = _server.BaseAddress };
            var client = new EmbedKvClient(new System.Net.Http.HttpClient(), options);
            options.BaseAddress = new Uri("http://127.0.0.1:1/");
            options.ListPageSize = -5;
            await client.PutAsync("k", "v");
            await foreach (KvListedKey key in client.ListAsync())
            {
                Assert.Equal("k", key.Key.ToString());
            }
        }

        [Fact]
        public void VersionsReadOnlyTheServersEntityTags()
        {
            Assert.True(KvVersion.TryParseETag("\"000000000000002a\"", out KvVersion version));
            Assert.Equal(42UL, version.Value);
            Assert.Equal("\"000000000000002a\"", version.ToETag());
            Assert.False(KvVersion.TryParseETag("W/\"000000000000002a\"", out _));
            Assert.False(KvVersion.TryParseETag("\"000000000000002A\"", out _));
            Assert.False(KvVersion.TryParseETag("\"2a\"", out _));
        }
    }
}
