using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// A bearer token sent to nginx reaches the server, which decides with it (docs/security.md): nginx passes
    /// Authorization through unchanged, and the 401 challenge comes back to the client.
    /// </summary>
    public sealed class TlsProxyAuthorizationTests
    {
        [Fact]
        public async Task ABearerTokenPassesThroughTheProxyToTheServer()
        {
            const string Token = "ekv_test_0123456789abcdef";
            using TestServer server = TestServer.Start(o => o.Tokens.Add(new AccessToken { Name = "ci", Hash = AccessToken.HashOf(Token) }));
            using NginxProxy proxy = NginxProxy.Start(server.Port);
            using HttpClient client = TlsClients.Trusting(proxy.Certificates.Authority, proxy.BaseAddress);

            using (HttpResponseMessage anonymous = await client.PutAsync("guarded", new StringContent("x")))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Equal("Bearer realm=\"embedkv\"", anonymous.Headers.WwwAuthenticate.ToString());
            }

            using (var put = new HttpRequestMessage(HttpMethod.Put, "guarded") { Content = new StringContent("x") })
            {
                put.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
                using HttpResponseMessage authorized = await client.SendAsync(put);
                Assert.Equal(HttpStatusCode.Created, authorized.StatusCode);
            }

            (int exit, string status, string errors) = ExternalTools.RunCurl(
                "--cacert", proxy.Certificates.AuthorityPem, "-H", "Authorization: Bearer " + Token, proxy.BaseAddress + "guarded");
            Assert.True(exit == 0, errors);
            Assert.Equal("200", status);
            (exit, status, errors) = ExternalTools.RunCurl("--cacert", proxy.Certificates.AuthorityPem, "-H", "Authorization: Bearer wrong", proxy.BaseAddress + "guarded");
            Assert.True(exit == 0, errors);
            Assert.Equal("401", status);
        }
    }
}
