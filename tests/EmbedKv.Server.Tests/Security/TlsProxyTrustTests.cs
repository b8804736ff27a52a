using System;
using System.Net.Http;
using System.Security.Authentication;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Server;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// A client that has not been told to trust the proxy's certificate is refused during the handshake, before any
    /// request reaches the server.
    /// </summary>
    public sealed class TlsProxyTrustTests : IDisposable
    {
        private readonly TestServer _server = TestServer.Start();
        private readonly NginxProxy _proxy;

        public TlsProxyTrustTests()
        {
            try
            {
                _proxy = NginxProxy.Start(_server.Port);
            }
            catch
            {
                _server.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            _proxy.Dispose();
            _server.Dispose();
        }

        [Fact]
        public void CurlWithoutTheCertificateFailsVerification()
        {
            (int refused, _, string errors) = ExternalTools.RunCurl("-X", "PUT", "--data-binary", "x", _proxy.BaseAddress + "refused");
            Assert.True(refused == 60, "curl without --cacert should fail to verify the peer (exit 60), got " + refused + ": " + errors);

            (int trusted, string status, string trustedErrors) = ExternalTools.RunCurl("--cacert", _proxy.Certificates.AuthorityPem, _proxy.BaseAddress + "refused");
            Assert.True(trusted == 0, "with --cacert: " + trustedErrors);
            Assert.Equal("404", status);
            Assert.Null(_server.Server.Store.Get(Requests.Utf8("refused")));
        }

        [Fact]
        public async Task HttpClientWithTheSystemsTrustIsRefused()
        {
            using HttpClient client = TlsClients.SystemTrust(_proxy.BaseAddress);
            HttpRequestException refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.PutAsync("refused", new StringContent("x")));
            Assert.IsType<AuthenticationException>(refused.InnerException);
            Assert.Null(_server.Server.Store.Get(Requests.Utf8("refused")));
        }

        [Fact]
        public async Task HttpClientTrustingAnotherAuthorityIsRefused()
        {
            using var elsewhere = new TempDirectory();
            using TestCertificates other = TestCertificates.Create(elsewhere.Path, "Another test CA");
            using HttpClient client = TlsClients.Trusting(other.Authority, _proxy.BaseAddress);
            HttpRequestException refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.PutAsync("refused", new StringContent("x")));
            Assert.IsType<AuthenticationException>(refused.InnerException);
            Assert.Null(_server.Server.Store.Get(Requests.Utf8("refused")));

            using HttpClient trusting = TlsClients.Trusting(_proxy.Certificates.Authority, _proxy.BaseAddress);
            using HttpResponseMessage accepted = await trusting.PutAsync("accepted", new StringContent("x"));
            Assert.Equal(System.Net.HttpStatusCode.Created, accepted.StatusCode);
        }
    }
}
