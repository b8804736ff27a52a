using System;
using System.IO;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// A throwaway CA and a server certificate it signs (for 127.0.0.1 and localhost), written as the PEM files
    /// nginx reads. Made with .NET so the tests need no openssl command.
    /// </summary>
    internal sealed class TestCertificates : IDisposable
    {
        private TestCertificates(X509Certificate2 authority, string authorityPem, string certificatePem, string keyPem)
        {
            Authority = authority;
            AuthorityPem = authorityPem;
            CertificatePem = certificatePem;
            KeyPem = keyPem;
        }

        /// <summary>The CA's certificate, without its key: what a client trusts.</summary>
        public X509Certificate2 Authority { get; }

        public string AuthorityPem { get; }

        public string CertificatePem { get; }

        public string KeyPem { get; }

        public static TestCertificates Create(string directory, string authorityName = "EmbedKv test CA")
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            using ECDsa authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var authorityRequest = new CertificateRequest("CN=" + authorityName, authorityKey, HashAlgorithmName.SHA256);
            authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, false));
            // Backdated a little: nginx and the client may disagree about "now" by a second or two.
            using X509Certificate2 authority = authorityRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

            using ECDsa serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            serverRequest.CertificateExtensions.Add(names.Build());
            serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
            serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, true, false));
            byte[] serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7f;
            using X509Certificate2 server = serverRequest.Create(authority, now.AddMinutes(-5), now.AddDays(1), serial);

            string authorityPem = Path.Combine(directory, "ca.pem");
            string certificatePem = Path.Combine(directory, "cert.pem");
            string keyPem = Path.Combine(directory, "key.pem");
            File.WriteAllText(authorityPem, authority.ExportCertificatePem() + "\n");
            File.WriteAllText(certificatePem, server.ExportCertificatePem() + "\n");
            File.WriteAllText(keyPem, serverKey.ExportPkcs8PrivateKeyPem() + "\n");
            return new TestCertificates(X509CertificateLoader.LoadCertificate(authority.RawData), authorityPem, certificatePem, keyPem);
        }

        public void Dispose() => Authority.Dispose();
    }
}
