using System;
using System.Net;
using System.Threading.Tasks;
using EmbedKv.Server;

namespace EmbedKv.Client.Tests
{
    /// <summary>Bearer tokens: sent with every request, and a refusal says why (docs/security.md).</summary>
    public sealed class AuthTests : IDisposable
    {
        private const string Writer = "writer-token-0123456789abcdef";
        private const string Reader = "reader-token-0123456789abcdef";
        private const string Tenant = "tenant-token-0123456789abcdef";

        private readonly ServerFixture _server = new ServerFixture(o =>
        {
            o.Tokens.Add(new AccessToken { Name = "writer", Hash = AccessToken.HashOf(Writer), Scopes = TokenScopes.Read | TokenScopes.Write });
            o.Tokens.Add(new AccessToken { Name = "reader", Hash = AccessToken.HashOf(Reader), Scopes = TokenScopes.Read });
            o.Tokens.Add(new AccessToken { Name = "tenant", Hash = AccessToken.HashOf(Tenant), Scopes = TokenScopes.Read | TokenScopes.Write, KeyPrefix = "tenant-a/" });
        });

        public void Dispose() => _server.Dispose();

        [Fact]
        public async Task AValidTokenReadsAndWrites()
        {
            EmbedKvClient client = _server.Client(o => o.Token = Writer);
            Assert.Equal(KvWriteStatus.Created, (await client.PutAsync("k", "v")).Status);
            Assert.Equal("v", (await client.GetAsync("k"))!.ValueAsString());
            await foreach (KvListedKey key in client.ListAsync())
            {
                Assert.Equal("k", key.Key.ToString());
            }
        }

        [Fact]
        public async Task NoTokenOrAnUnknownOneIs401WithTheServersReason()
        {
            EmbedKvException none = await Assert.ThrowsAsync<EmbedKvException>(() => _server.Client().GetAsync("k"));
            Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
            Assert.False(string.IsNullOrWhiteSpace(none.Reason));

            EmbedKvException unknown = await Assert.ThrowsAsync<EmbedKvException>(() => _server.Client(o => o.Token = "not-a-known-token-0123456789").PutAsync("k", "v"));
            Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        }

        [Fact]
        public async Task AScopeOrPrefixTheTokenLacksIs403WithTheServersReason()
        {
            EmbedKvException readOnly = await Assert.ThrowsAsync<EmbedKvException>(() => _server.Client(o => o.Token = Reader).PutAsync("k", "v"));
            Assert.Equal(HttpStatusCode.Forbidden, readOnly.StatusCode);
            Assert.False(string.IsNullOrWhiteSpace(readOnly.Reason));

            EmbedKvClient tenant = _server.Client(o => o.Token = Tenant);
            Assert.Equal(KvWriteStatus.Created, (await tenant.PutAsync("tenant-a/k", "v")).Status);
            EmbedKvException outside = await Assert.ThrowsAsync<EmbedKvException>(() => tenant.GetAsync("tenant-b/k"));
            Assert.Equal(HttpStatusCode.Forbidden, outside.StatusCode);

            // Refusals are not transient: a watch ends with them instead of waiting them out.
            EmbedKvException watch = await Assert.ThrowsAsync<EmbedKvException>(async () =>
            {
                await foreach (KvVersion version in tenant.WatchAsync("tenant-b/k"))
                {
                    Assert.Fail("watched a key outside the token's prefix");
                }
            });
            Assert.Equal(HttpStatusCode.Forbidden, watch.StatusCode);
        }

        [Fact]
        public async Task ARefusedHeadCarriesTheServersReasonToo()
        {
            // Found in review: a HEAD's refusal has no body, so GetInfoAsync (and every watch's start) lost the reason.
            EmbedKvClient tenant = _server.Client(o => o.Token = Tenant);
            EmbedKvException get = await Assert.ThrowsAsync<EmbedKvException>(() => tenant.GetAsync("tenant-b/k"));
            EmbedKvException info = await Assert.ThrowsAsync<EmbedKvException>(() => tenant.GetInfoAsync("tenant-b/k"));
            Assert.Equal(HttpStatusCode.Forbidden, info.StatusCode);
            Assert.Equal(get.Reason, info.Reason);
            Assert.StartsWith("HEAD ", info.Operation, StringComparison.Ordinal);
        }
    }
}
