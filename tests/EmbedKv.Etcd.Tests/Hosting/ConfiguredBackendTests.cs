using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Text;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Backend;
using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Extensions.Hosting;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace EmbedKv.Etcd.Tests.Hosting
{
    /// <summary>
    /// Backend = Etcd chosen from configuration, as users run it: the standalone host (embedkv.dll as a child
    /// process, its settings from EMBEDKV_* variables, as docs/etcd.md's recipe does) and a Generic Host
    /// (AddEmbedKv with AddEmbedKvEtcd), each on the shared 3-member cluster under a key prefix of its own.
    /// </summary>
    [Collection(EtcdCollection.Name)]
    public sealed class ConfiguredBackendTests : IDisposable
    {
        private readonly SharedEtcdCluster _etcd;
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly EtcdStore _raw;

        public ConfiguredBackendTests(SharedEtcdCluster etcd)
        {
            _etcd = etcd;
            _raw = Stores.Connect(etcd.Cluster.ClientUrls);
        }

        public void Dispose()
        {
            _raw.Dispose();
            _dir.Dispose();
        }

        [Fact]
        public async Task Two_standalone_hosts_on_one_cluster_read_each_others_writes_and_wake_each_others_waits()
        {
            string prefix = Encoding.UTF8.GetString(Stores.UniqueKey("hosts/"));
            // One host with the endpoints as text, the other as a list (EMBEDKV_ETCD__ENDPOINTS__0, __1, ...).
            var asText = new Dictionary<string, string>
            {
                ["EMBEDKV_BACKEND"] = "Etcd",
                ["EMBEDKV_ETCD__ENDPOINTS"] = string.Join(",", _etcd.Cluster.ClientUrls),
                ["EMBEDKV_ETCD__KEYPREFIX"] = prefix,
            };
            var asList = new Dictionary<string, string> { ["EMBEDKV_BACKEND"] = "etcd", ["EMBEDKV_ETCD__KEYPREFIX"] = prefix };
            for (int i = 0; i < _etcd.Cluster.ClientUrls.Count; i++)
            {
                asList["EMBEDKV_ETCD__ENDPOINTS__" + i] = _etcd.Cluster.ClientUrls[i];
            }

            using HostProcess first = HostProcess.Start(_dir.Path, new[] { "--port", "0" }, asText);
            using HostProcess second = HostProcess.Start(_dir.Path, new[] { "--port", "0" }, asList);
            Uri one = Listening(first, prefix);
            Uri two = Listening(second, prefix);
            Assert.NotEqual(one, two);
            using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };

            using (HttpResponseMessage put = await client.PutAsync(new Uri(one, "greeting"), new StringContent("hello")))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
            }

            using HttpResponseMessage read = await client.GetAsync(new Uri(two, "greeting"));
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.Equal("hello", await read.Content.ReadAsStringAsync());
            Assert.Equal("hello"u8.ToArray(), (await _raw.GetAsync(Encoding.UTF8.GetBytes(prefix + "greeting"))).Value!.Value);

            using var wait = new HttpRequestMessage(HttpMethod.Get, new Uri(two, "greeting"));
            wait.Headers.TryAddWithoutValidation("Prefer", "wait=30");
            wait.Headers.IfNoneMatch.Add(read.Headers.ETag!);
            Task<HttpResponseMessage> woken = client.SendAsync(wait);
            await Task.Delay(300);
            Assert.False(woken.IsCompleted, "the long-poll answered before any change");
            using (HttpResponseMessage put = await client.PutAsync(new Uri(one, "greeting"), new StringContent("again")))
            {
                Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
            }

            using HttpResponseMessage changed = await woken.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
            Assert.Equal("again", await changed.Content.ReadAsStringAsync());

            foreach (HostProcess host in new[] { first, second })
            {
                host.Signal("TERM");
                Assert.True(host.WaitForExit() == 0, host.Describe());
                Assert.Equal("EmbedKv stopped", host.Stdout[^1]);
            }
        }

        [Fact]
        public void The_standalone_host_refuses_etcd_without_endpoints_and_an_unknown_backend_naming_the_setting()
        {
            using HostProcess noEndpoints = HostProcess.Run(_dir.Path, new[] { "--Backend", "Etcd" });
            Assert.Equal(2, noEndpoints.WaitForExit());
            Assert.Equal("embedkv: invalid setting Etcd:Endpoints: at least one client URL is needed (http://127.0.0.1:2379)", Assert.Single(noEndpoints.Stderr));

            using HostProcess unknown = HostProcess.Run(_dir.Path, new[] { "--port", "0" }, new Dictionary<string, string> { ["EMBEDKV_BACKEND"] = "Consul" });
            Assert.Equal(2, unknown.WaitForExit());
            Assert.Equal("embedkv: invalid setting Backend: 'Consul' is not one of Local, Etcd", Assert.Single(unknown.Stderr));

            using HostProcess check = HostProcess.Run(_dir.Path, new[] { "check", "--Backend", "Etcd", "--Etcd:Endpoints", _etcd.Cluster.ClientUrls[0] });
            Assert.Equal(2, check.WaitForExit());
            Assert.Equal("embedkv check: Backend is Etcd: the data is in the etcd cluster, not in a data directory", Assert.Single(check.Stderr));
        }

        [Fact]
        public async Task A_generic_host_serves_from_etcd_with_AddEmbedKvEtcd_on_the_same_section()
        {
            string prefix = Encoding.UTF8.GetString(Stores.UniqueKey("generic/"));
            var settings = new Dictionary<string, string?>
            {
                ["EmbedKv:Port"] = "0",
                ["EmbedKv:Workers"] = "1",
                ["EmbedKv:Backend"] = "Etcd",
                ["EmbedKv:Etcd:KeyPrefix"] = prefix,
            };
            for (int i = 0; i < _etcd.Cluster.ClientUrls.Count; i++)
            {
                settings["EmbedKv:Etcd:Endpoints:" + i] = _etcd.Cluster.ClientUrls[i];
            }

            using IHost host = Build(settings, etcd: true);
            await host.StartAsync();
            EmbedKvHostedService service = host.Services.GetRequiredService<EmbedKvHostedService>();
            Assert.Same(host.Services.GetRequiredService<EtcdBackend>(), service.Server.Options.Backend);
            using (var client = new HttpClient { BaseAddress = service.Server.BaseAddress })
            {
                using HttpResponseMessage put = await client.PutAsync("answer", new StringContent("42"));
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                Assert.Equal("42", await client.GetStringAsync("answer"));
            }

            Assert.Equal("42"u8.ToArray(), (await _raw.GetAsync(Encoding.UTF8.GetBytes(prefix + "answer"))).Value!.Value);
            await host.StopAsync();
        }

        [Fact]
        public async Task A_generic_host_told_Backend_Etcd_without_AddEmbedKvEtcd_fails_its_start_saying_what_to_add()
        {
            using IHost host = Build(new Dictionary<string, string?> { ["EmbedKv:Port"] = "0", ["EmbedKv:Backend"] = "Etcd", ["EmbedKv:Etcd:Endpoints"] = _etcd.Cluster.ClientUrls[0] }, etcd: false);
            OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            Assert.Contains("Backend is Etcd, but no such backend is registered: add its package's services.AddEmbedKvEtcd(configuration)", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public async Task A_generic_host_with_a_bad_etcd_setting_fails_its_start_naming_it()
        {
            using IHost host = Build(new Dictionary<string, string?> { ["EmbedKv:Port"] = "0", ["EmbedKv:Backend"] = "Etcd", ["EmbedKv:Etcd:Endpoints"] = _etcd.Cluster.ClientUrls[0], ["EmbedKv:Etcd:RequestTimeout"] = "soon" }, etcd: true);
            OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            Assert.Equal("invalid setting Etcd:RequestTimeout: 'soon' is not a duration such as 250ms, 10s, 2m or 00:00:10", e.Message);
        }

        /// <summary>The host's address, from its startup line, which names the cluster and the prefix instead of a data directory.</summary>
        private Uri Listening(HostProcess host, string prefix)
        {
            string line = host.WaitForLine(l => l.StartsWith("EmbedKv listening on ", StringComparison.Ordinal), "the startup line");
            string expected = " (etcd at " + string.Join(",", _etcd.Cluster.ClientUrls) + ", keys under " + prefix + ")";
            Assert.EndsWith(expected, line, StringComparison.Ordinal);
            return new Uri(line.Substring("EmbedKv listening on ".Length, line.Length - "EmbedKv listening on ".Length - expected.Length));
        }

        private static IHost Build(Dictionary<string, string?> settings, bool etcd)
        {
            HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection(settings);
            IConfigurationSection section = builder.Configuration.GetSection("EmbedKv");
            builder.Services.AddEmbedKv(section);
            if (etcd)
            {
                builder.Services.AddEmbedKvEtcd(section);
            }

            return builder.Build();
        }
    }
}
