using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Threading.Tasks;
using EmbedKv.Extensions.Hosting;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmbedKv.Host.Tests
{
    /// <summary>
    /// EmbedKv in a real Generic Host (Host.CreateApplicationBuilder): AddEmbedKv from a configuration
    /// section or from code, validation at start, logs through the host's ILogger, the host's IMeterFactory.
    /// </summary>
    public sealed class GenericHostTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly CapturingLoggerProvider _logs = new CapturingLoggerProvider();

        private string DataDirectory => Path.Combine(_dir.Path, "data");

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task ASectionOfTheHostsConfigurationConfiguresTheServer()
        {
            using IHost host = Build(Settings());
            await host.StartAsync();

            EmbedKvHostedService service = host.Services.GetRequiredService<EmbedKvHostedService>();
            Assert.Same(service, Assert.Single(host.Services.GetServices<IHostedService>().OfType<EmbedKvHostedService>()));
            KvServer server = service.Server;
            Assert.NotEqual(0, server.Port);
            Assert.Equal(new Uri("http://127.0.0.1:" + server.Port + "/"), server.BaseAddress);
            Assert.Equal(DataDirectory, server.Options.DataDirectory);
            Assert.Equal(Durability.Batched(TimeSpan.FromMilliseconds(5)), server.Options.Durability);
            Assert.Equal(TimeSpan.FromSeconds(30), server.Options.Limits.IdleTimeout);
            Assert.Equal(1, server.Options.Workers);

            using (HttpClient client = Net.Client(server.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "answer", "42"));
                Assert.Equal((HttpStatusCode.OK, "42"), await Net.GetAsync(client, "answer"));
            }

            Assert.Equal(1, server.Store.Count);
            int port = server.Port;
            await host.StopAsync();

            // Stopped for real: the port is closed and the data directory's lock is free; the write is kept.
            AssertRefused(port);
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = DataDirectory });
            Assert.Equal("42"u8.ToArray(), store.Get("answer"u8.ToArray()));
        }

        [Fact]
        public async Task TokensFromTheSectionGuardTheServer()
        {
            Dictionary<string, string?> settings = Settings();
            settings["EmbedKv:Tokens:app:Hash"] = AccessToken.HashOf("generic-host-token");
            settings["EmbedKv:Tokens:app:Prefix"] = "app/";
            using IHost host = Build(settings);
            await host.StartAsync();
            KvServer server = host.Services.GetRequiredService<EmbedKvHostedService>().Server;
            using (HttpClient client = Net.Client(server.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await Net.PutAsync(client, "app%2Fx", "1"));
                client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "generic-host-token");
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "app%2Fx", "1"));
                Assert.Equal(HttpStatusCode.Forbidden, await Net.PutAsync(client, "other", "1"));
            }

            await host.StopAsync();
        }

        [Fact]
        public async Task ARelativeDataDirectoryIsUnderTheContentRoot()
        {
            Dictionary<string, string?> settings = Settings();
            settings["EmbedKv:DataDirectory"] = "relative-data";
            using IHost host = Build(settings);
            await host.StartAsync();
            KvServer server = host.Services.GetRequiredService<EmbedKvHostedService>().Server;
            Assert.Equal(Path.Combine(_dir.Path, "relative-data"), server.Options.DataDirectory); // _dir is the content root
            Assert.True(Directory.Exists(Path.Combine(_dir.Path, "relative-data")), "no data directory under the content root");
            await host.StopAsync();
        }

        [Fact]
        public async Task OptionsSetInCodeConfigureTheServer()
        {
            var builder = NewBuilder();
            builder.Services.AddEmbedKv(o =>
            {
                o.Port = 0;
                o.DataDirectory = DataDirectory;
                o.Durability = Durability.None;
                o.Workers = 2;
                o.MaxKeyLength = 16;
            });
            using IHost host = builder.Build();
            await host.StartAsync();

            KvServer server = host.Services.GetRequiredService<EmbedKvHostedService>().Server;
            Assert.Equal(Durability.None, server.Options.Durability);
            using (HttpClient client = Net.Client(server.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "k", "one"));
                Assert.Equal(HttpStatusCode.NoContent, await Net.PutAsync(client, "k", "two"));
                Assert.Equal((HttpStatusCode.OK, "two"), await Net.GetAsync(client, "k"));
                Assert.Equal(HttpStatusCode.RequestUriTooLong, await Net.PutAsync(client, new string('x', 17), "too long a key"));
                using (HttpResponseMessage deleted = await client.DeleteAsync("k"))
                {
                    Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
                }

                using (HttpResponseMessage again = await client.DeleteAsync("k"))
                {
                    Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
                }

                Assert.Equal(HttpStatusCode.NotFound, (await Net.GetAsync(client, "k")).Status);
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "kept", "at stop"));
            }

            await host.StopAsync();
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = DataDirectory });
            Assert.Equal(1, store.Count);
            Assert.Equal("at stop"u8.ToArray(), store.Get("kept"u8.ToArray()));
        }

        [Fact]
        public async Task ConfigurationAndCodeAddUpToOneServer()
        {
            HostApplicationBuilder builder = NewBuilder(Settings());
            builder.Services.AddEmbedKv(builder.Configuration.GetSection("EmbedKv"));
            builder.Services.AddEmbedKv(o => o.MaxKeyLength = 100);
            using IHost host = builder.Build();
            await host.StartAsync();

            Assert.Single(host.Services.GetServices<IHostedService>().OfType<EmbedKvHostedService>());
            KvServer server = host.Services.GetRequiredService<EmbedKvHostedService>().Server;
            Assert.Equal(100, server.Options.MaxKeyLength); // from code
            Assert.Equal(Durability.Batched(TimeSpan.FromMilliseconds(5)), server.Options.Durability); // from configuration
            await host.StopAsync();
        }

        [Theory]
        [InlineData("Port", "-2", "invalid setting: Port must be between 0 and 65535 (or -1 for no TCP port), not -2.")]
        [InlineData("Prot", "8080", "unknown setting 'Prot'")]
        [InlineData("Durability", "sometimes", "invalid setting Durability: 'sometimes' is not one of always")]
        [InlineData("Limits:IdleTimeout", "forever", "invalid setting Limits:IdleTimeout: 'forever'")]
        [InlineData("Workers", "0", "invalid setting: Workers must be between 1 and 256, not 0.")]
        [InlineData("SegmentSize", "100", "invalid setting: SegmentSize must be between 4 KiB and 1 GiB, not 100.")]
        [InlineData("CompactionThreshold", "half", "invalid setting CompactionThreshold: 'half' is not a decimal number")]
        [InlineData("CompactionThreshold", "0", "invalid setting: CompactionThreshold must be between 0 and 1 (exclusive), not 0.")]
        [InlineData("CompactionMinimumDeadBytes", "-1", "invalid setting: CompactionMinimumDeadBytes must not be negative.")]
        public async Task AnInvalidSettingFailsTheHostsStartNamingIt(string key, string value, string message)
        {
            Dictionary<string, string?> settings = Settings();
            settings["EmbedKv:" + key] = value;
            using IHost host = Build(settings);

            OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
            Assert.Equal(typeof(KvServerOptions), e.OptionsType);

            // Nothing was started: no data directory was even created.
            Assert.False(Directory.Exists(DataDirectory), "the data directory was created before validation");
        }

        [Fact]
        public async Task AnInvalidSettingInCodeFailsTheHostsStart()
        {
            HostApplicationBuilder builder = NewBuilder();
            builder.Services.AddEmbedKv(o =>
            {
                o.Port = 0;
                o.DataDirectory = DataDirectory;
                o.BindAddress = "localhost";
            });
            using IHost host = builder.Build();

            OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            Assert.Contains("invalid setting: BindAddress must be an IPv4 or IPv6 address, not 'localhost'.", e.Message, StringComparison.Ordinal);
        }

        [Fact]
        public async Task APortInUseFailsTheHostsStartAndFreesTheDataDirectory()
        {
            using Socket held = Net.Hold(0)!;
            Dictionary<string, string?> settings = Settings();
            settings["EmbedKv:Port"] = Net.PortOf(held).ToString(System.Globalization.CultureInfo.InvariantCulture);
            using IHost host = Build(settings);

            Exception e = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync());
            Assert.Contains("127.0.0.1:" + Net.PortOf(held) + ": EADDRINUSE", e.Message, StringComparison.Ordinal);
            KvStore.Open(new StoreOptions { DataDirectory = DataDirectory }).Dispose();
        }

        [Fact]
        public async Task TheServerLogsThroughTheHostsLoggers()
        {
            // A torn tail left in the data directory: recovery drops it with a warning, through the host's logger too.
            using (KvStore store = KvStore.Open(new StoreOptions { DataDirectory = DataDirectory }))
            {
                store.Put("before"u8.ToArray(), "torn tail"u8.ToArray());
            }

            string segment = Directory.GetFiles(DataDirectory, "seg-*").Single();
            File.AppendAllText(segment, "torn");

            using IHost host = Build(Settings());
            await host.StartAsync();
            KvServer server = host.Services.GetRequiredService<EmbedKvHostedService>().Server;

            CapturedLog listening = Assert.Single(_logs.Entries, e => e.EventId.Id == 100);
            Assert.Equal("EmbedKv", listening.Category);
            Assert.Equal(LogLevel.Information, listening.Level);
            Assert.StartsWith("EmbedKv listening on http://127.0.0.1:" + server.Port + "/ ", listening.Message, StringComparison.Ordinal);
            Dictionary<string, object?> state = listening.State.ToDictionary(p => p.Key, p => p.Value);
            Assert.Equal("127.0.0.1:" + server.Port, state["Address"]);
            Assert.Equal(1, state["Workers"]);
            Assert.Equal(DataDirectory, state["DataDirectory"]);
            Assert.Equal(1L, state["Keys"]);
            Assert.Equal("batched:5ms", state["Durability"]);
            Assert.StartsWith("EmbedKv listening on http://{Address}/", (string?)state["{OriginalFormat}"], StringComparison.Ordinal);

            CapturedLog torn = Assert.Single(_logs.Entries, e => e.EventId.Id == 201);
            Assert.Equal(LogLevel.Warning, torn.Level);
            Assert.Equal("EmbedKv", torn.Category);
            Assert.Contains(Path.GetFileName(segment), torn.Message, StringComparison.Ordinal);

            Assert.DoesNotContain(_logs.Entries, e => e.EventId.Id == 101);
            await host.StopAsync();
            CapturedLog stopped = Assert.Single(_logs.Entries, e => e.EventId.Id == 101);
            Assert.Equal(LogLevel.Information, stopped.Level);
            Assert.Equal("EmbedKv on 127.0.0.1:" + server.Port + " stopped", stopped.Message);
        }

        [Fact]
        public async Task TheMeterComesFromTheHostsMeterFactory()
        {
            var published = new List<Instrument>();
            var keys = new List<int>();
            var puts = new List<long>();
            var completed = new List<Instrument>();
            IMeterFactory? factory = null;
            using var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                // Other hosts in this process (other tests) have "EmbedKv" meters too: only this host's count.
                if (instrument.Meter.Name == "EmbedKv" && factory is not null && ReferenceEquals(instrument.Meter.Scope, factory))
                {
                    lock (published)
                    {
                        published.Add(instrument);
                    }

                    if (instrument.Name is "embedkv.keys" or "embedkv.requests")
                    {
                        l.EnableMeasurementEvents(instrument);
                    }
                }
            };
            listener.MeasurementsCompleted = (instrument, _) =>
            {
                lock (completed)
                {
                    completed.Add(instrument);
                }
            };
            listener.SetMeasurementEventCallback<int>((_, value, _, _) => keys.Add(value)); // embedkv.keys
            listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                if (Tag(tags, "http.request.method") is "PUT" && Tag(tags, "http.response.status_code") is 201)
                {
                    puts.Add(value);
                }
            });

            IHost host = Build(Settings());
            factory = host.Services.GetRequiredService<IMeterFactory>();
            listener.Start();
            await host.StartAsync();
            KvServer server = host.Services.GetRequiredService<EmbedKvHostedService>().Server;

            string[] names = published.Select(i => i.Name).ToArray();
            foreach (string name in new[] { "embedkv.requests", "embedkv.request.duration", "embedkv.network.received", "embedkv.network.sent", "embedkv.connections.open", "embedkv.keys", "embedkv.storage.size", "embedkv.storage.syncs" })
            {
                Assert.Contains(name, names);
            }

            Meter meter = published[0].Meter;
            Assert.Contains(new KeyValuePair<string, object?>("server.port", server.Port), meter.Tags ?? Array.Empty<KeyValuePair<string, object?>>());

            // The instruments move: one PUT, then a collection.
            using (HttpClient client = Net.Client(server.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, await Net.PutAsync(client, "counted", "1"));
            }

            listener.RecordObservableInstruments();
            Assert.Equal(new[] { 1 }, keys);
            Assert.Equal(new[] { 1L }, puts);

            // The host owns the meter: disposing the host (its service provider, its meter factory) ends it.
            await host.StopAsync();
            Assert.Empty(completed);
            host.Dispose();
            Assert.Contains(completed, i => i.Name == "embedkv.keys");
        }

        private static object? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == name)
                {
                    return tag.Value;
                }
            }

            return null;
        }

        private static void AssertRefused(int port)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            SocketException e = Assert.Throws<SocketException>(() => socket.Connect(new IPEndPoint(IPAddress.Loopback, port)));
            Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
        }

        /// <summary>The settings of a typical section: port 0, this test's data directory, batched durability.</summary>
        private Dictionary<string, string?> Settings() => new Dictionary<string, string?>
        {
            ["EmbedKv:Port"] = "0",
            ["EmbedKv:DataDirectory"] = DataDirectory,
            ["EmbedKv:Durability"] = "batched:5ms",
            ["EmbedKv:Workers"] = "1",
            ["EmbedKv:Limits:IdleTimeout"] = "30s",
            ["Unrelated:Setting"] = "the rest of the application's configuration is not EmbedKv's business",
        };

        /// <summary>A host whose "EmbedKv" section comes from <paramref name="settings"/>, registered with AddEmbedKv(section).</summary>
        private IHost Build(Dictionary<string, string?> settings)
        {
            HostApplicationBuilder builder = NewBuilder(settings);
            builder.Services.AddEmbedKv(builder.Configuration.GetSection("EmbedKv"));
            return builder.Build();
        }

        private HostApplicationBuilder NewBuilder(Dictionary<string, string?>? settings = null)
        {
            HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
            {
                Args = Array.Empty<string>(),
                ContentRootPath = _dir.Path,
                EnvironmentName = Environments.Production,
            });
            builder.Configuration.AddInMemoryCollection(settings ?? new Dictionary<string, string?>());
            builder.Logging.ClearProviders();
            builder.Logging.AddProvider(_logs);
            return builder;
        }
    }
}
