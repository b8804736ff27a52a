using System;
using System.IO;
using System.Text.RegularExpressions;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// The nginx configuration of docs/security.md, read from the page itself so that what the tests prove is
    /// what the page says, with its port, certificate paths and upstream replaced by the test's own.
    /// </summary>
    internal static class ProxyRecipe
    {
        private const string Section = "## TLS: terminate it in front (nginx)";

        public static string Block()
        {
            string page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "security.md"));
            int section = page.IndexOf(Section, StringComparison.Ordinal);
            Assert.True(section >= 0, "docs/security.md has no section \"" + Section + "\"");
            Match block = new Regex("```nginx\n(.*?)```", RegexOptions.Singleline).Match(page, section);
            Assert.True(block.Success, "docs/security.md has no ```nginx block under \"" + Section + "\"");
            return block.Groups[1].Value;
        }

        /// <summary>The page's block with the test's listening port, certificate files and upstream port.</summary>
        public static string For(int listenPort, int upstreamPort, TestCertificates certificates)
        {
            string block = Block();
            block = ReplaceOnce(block, "listen 443 ssl;", "listen 127.0.0.1:" + listenPort + " ssl;");
            block = ReplaceOnce(block, "server 127.0.0.1:8080;", "server 127.0.0.1:" + upstreamPort + ";");
            block = ReplaceOnce(block, "/etc/embedkv/tls/cert.pem", certificates.CertificatePem);
            block = ReplaceOnce(block, "/etc/embedkv/tls/key.pem", certificates.KeyPem);
            return block;
        }

        private static string ReplaceOnce(string block, string expected, string replacement)
        {
            int at = block.IndexOf(expected, StringComparison.Ordinal);
            Assert.True(
                at >= 0 && block.IndexOf(expected, at + 1, StringComparison.Ordinal) < 0,
                "the nginx block in docs/security.md should hold \"" + expected + "\" exactly once (the tests replace it); update ProxyRecipe with the page");
            return string.Concat(block.AsSpan(0, at), replacement, block.AsSpan(at + expected.Length));
        }

        private static string RepositoryRoot()
        {
            for (DirectoryInfo? dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EmbedKv.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("no EmbedKv.sln above " + AppContext.BaseDirectory);
        }
    }
}
