using System;
using System.Net.Http;
using System.Threading;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace EmbedKv.Client
{
    /// <summary>Registers <see cref="EmbedKvClient"/> with IHttpClientFactory.</summary>
    public static class EmbedKvClientServiceCollectionExtensions
    {
        /// <summary>The name of the HttpClient the factory makes for the client (to add handlers to it).</summary>
        public const string HttpClientName = "EmbedKv.Client";

        /// <summary>
        /// Registers <see cref="EmbedKvClient"/> (transient, over a factory-made HttpClient) with options from
        /// <paramref name="configuration"/>: BaseAddress, Token, RequestTimeout, WatchWait, RetryAttempts,
        /// RetryDelay, MaxRetryDelay, UpdateAttempts, ListPageSize (docs/client.md). Validated when first used.
        /// </summary>
        /// <param name="services">The services.</param>
        /// <param name="configuration">The client's section, such as <c>configuration.GetSection("EmbedKv:Client")</c>.</param>
        /// <returns>The HttpClient's builder, to add handlers or configure its primary handler.</returns>
        public static IHttpClientBuilder AddEmbedKvClient(this IServiceCollection services, IConfiguration configuration)
        {
            ArgumentNullException.ThrowIfNull(services);
            ArgumentNullException.ThrowIfNull(configuration);
            services.AddOptions<EmbedKvClientOptions>().Bind(configuration);
            return AddClient(services);
        }

        /// <summary>Registers <see cref="EmbedKvClient"/> with options set in code.</summary>
        /// <param name="services">The services.</param>
        /// <param name="configure">Sets the options.</param>
        /// <returns>The HttpClient's builder.</returns>
        public static IHttpClientBuilder AddEmbedKvClient(this IServiceCollection services, Action<EmbedKvClientOptions> configure)
        {
            ArgumentNullException.ThrowIfNull(services);
            ArgumentNullException.ThrowIfNull(configure);
            services.AddOptions<EmbedKvClientOptions>().Configure(configure);
            return AddClient(services);
        }

        private static IHttpClientBuilder AddClient(IServiceCollection services)
        {
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmbedKvClientOptions>, OptionsValidator>());
            services.TryAddTransient(provider => new EmbedKvClient(
                provider.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName),
                provider.GetRequiredService<IOptions<EmbedKvClientOptions>>().Value));
            return services.AddHttpClient(HttpClientName, (provider, http) =>
            {
                EmbedKvClientOptions options = provider.GetRequiredService<IOptions<EmbedKvClientOptions>>().Value;
                http.BaseAddress = options.BaseAddress;

                // The client keeps its own deadlines (RequestTimeout, and WatchWait for long-polls, which must outlast it).
                http.Timeout = Timeout.InfiniteTimeSpan;
            });
        }

        private sealed class OptionsValidator : IValidateOptions<EmbedKvClientOptions>
        {
            public ValidateOptionsResult Validate(string? name, EmbedKvClientOptions options)
            {
                string? wrong = options.BaseAddress is null ? "BaseAddress is required" : options.Validate();
                return wrong is null ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail("EmbedKv client: " + wrong);
            }
        }
    }
}
