using System;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>
    /// Every key the settings accept can be stored. MaxKeyLength validated up to 65,535 while the store's
    /// record buffer held 64 KiB, so a 65,520-byte key threw in WriteLog.WriteRecord on an event loop, and
    /// the process died with it ("Destination is too short"), taking every client down.
    /// </summary>
    public sealed class LongestKeyTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData(65_520)]
        [InlineData(65_535)]
        public async Task AKeyAsLongAsTheSettingsAllowIsStoredAndReadBack(int length)
        {
            using HostProcess host = HostProcess.Start(_dir.Path, new[]
            {
                "--port", "0", "--MaxKeyLength", "65535", "--Limits:MaxRequestLineBytes", "70000", "--Limits:MaxHeaderBytes", "80000",
            });
            StartupLine line = host.WaitForListening();
            string key = new string('a', length);
            using (HttpClient client = Net.Client(line.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, key, "long"));
                Assert.Equal((HttpStatusCode.OK, "long"), await Net.GetAsync(client, key));
                Assert.Equal(HttpStatusCode.RequestUriTooLong, await Net.PutAsync(client, key + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "too long"));
            }

            host.Signal("TERM");
            Assert.True(host.WaitForExit() == 0, host.Describe());
            Assert.Empty(host.Stderr);

            // And the record it wrote is read back on the next start.
            using HostProcess again = HostProcess.Start(_dir.Path, new[] { "--port", "0", "--MaxKeyLength", "65535", "--Limits:MaxRequestLineBytes", "70000", "--Limits:MaxHeaderBytes", "80000" });
            StartupLine restarted = again.WaitForListening();
            Assert.Equal(1, restarted.KeysRecovered);
            using (HttpClient client = Net.Client(restarted.BaseAddress))
            {
                Assert.Equal((HttpStatusCode.OK, "long"), await Net.GetAsync(client, key));
            }
        }
    }
}
