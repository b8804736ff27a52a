using System;
using System.Net.Http;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>HttpClients for the proxy: one that trusts exactly the test's CA, and one with the system's trust only.</summary>
    internal static class TlsClients
    {
        public static HttpClient Trusting(X509Certificate2 authority, Uri baseAddress, SslProtocols protocols = SslProtocols.None)
        {
            var handler = new SocketsHttpHandler
            {
                SslOptions = new SslClientAuthenticationOptions
                {
                    EnabledSslProtocols = protocols,
                    RemoteCertificateValidationCallback = (_, certificate, _, errors) => IssuedBy(authority, certificate as X509Certificate2, errors),
                },
            };
            return new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        }

        public static HttpClient SystemTrust(Uri baseAddress) => new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

        /// <summary>
        /// The system's verdict on everything but the chain (the name must match), and a chain that ends at this
        /// authority and no other: what a client of a private CA should check, instead of accepting any certificate.
        /// </summary>
        private static bool IssuedBy(X509Certificate2 authority, X509Certificate2? presented, SslPolicyErrors errors)
        {
            if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(presented);
        }
    }
}
