using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EmbedKv.Client.Tests
{
    /// <summary>services.AddEmbedKvClient: options from configuration, validated, over a factory-made HttpClient.</summary>
    public sealed class ServiceCollectionTests : IDisposable
    {
        private readonly ServerFixture _server = new ServerFixture();

        public void Dispose() => _server.Dispose();

        [Fact]
        public async Task AClientFromConfigurationTalksToTheServer()
        {
            IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["EmbedKv:Client:BaseAddress"] = _server.BaseAddress.ToString(),
                ["EmbedKv:Client:RequestTimeout"] = "00:00:07",
                ["EmbedKv:Client:WatchWait"] = "00:00:05",
                ["EmbedKv:Client:ListPageSize"] = "3",
            }).Build();
            var services = new ServiceCollection();
            services.AddEmbedKvClient(configuration.GetSection("EmbedKv:Client"));
            using ServiceProvider provider = services.BuildServiceProvider();

            EmbedKvClientOptions options = provider.GetRequiredService<IOptions<EmbedKvClientOptions>>().Value;
            Assert.Equal(TimeSpan.FromSeconds(7), options.RequestTimeout);
            Assert.Equal(3, options.ListPageSize);

            EmbedKvClient client = provider.GetRequiredService<EmbedKvClient>();
            Assert.Equal(KvWriteStatus.Created, (await client.PutAsync("from-di", "yes")).Status);
            Assert.Equal("yes", (await client.GetAsync("from-di"))!.ValueAsString());
        }

        [Fact]
        public void MissingOrWrongOptionsFailNamingTheSetting()
        {
            var services = new ServiceCollection();
            services.AddEmbedKvClient(o => o.Token = "two words");
            using ServiceProvider provider = services.BuildServiceProvider();
            OptionsValidationException missing = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<EmbedKvClient>());
            Assert.Contains("BaseAddress", missing.Message, StringComparison.Ordinal);

            var wrong = new ServiceCollection();
            wrong.AddEmbedKvClient(o =>
            {
                o.BaseAddress = _server.BaseAddress;
                o.Token = "two words";
            });
            using ServiceProvider wrongProvider = wrong.BuildServiceProvider();
            OptionsValidationException token = Assert.Throws<OptionsValidationException>(() => wrongProvider.GetRequiredService<EmbedKvClient>());
            Assert.Contains("Token", token.Message, StringComparison.Ordinal);
        }
    }
}
