using System;
using System.Linq;
using EmbedKv.Extensions.Hosting;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

#pragma warning disable IDE0130 // AddEmbedKv sits beside AddHostedService, in the namespace services.Add* extensions use by convention
namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>Registers an EmbedKv server as a hosted service.</summary>
    public static class EmbedKvServiceCollectionExtensions
    {
        /// <summary>
        /// Adds an EmbedKv server configured from <paramref name="configuration"/> (such as
        /// <c>builder.Configuration.GetSection("EmbedKv")</c>: keys Port, BindAddress, DataDirectory,
        /// Durability, Workers, Limits:IdleTimeout, …). Unknown keys, bad values and invalid settings
        /// fail the host's start, naming the setting.
        /// </summary>
        /// <param name="services">The services.</param>
        /// <param name="configuration">The section holding the server's settings.</param>
        /// <returns>The services, for chaining.</returns>
        public static IServiceCollection AddEmbedKv(this IServiceCollection services, IConfiguration configuration)
        {
            ArgumentNullException.ThrowIfNull(configuration);
            return services.AddEmbedKv(options => Bind(configuration, options));
        }

        /// <summary>Adds an EmbedKv server configured in code; invalid settings fail the host's start.</summary>
        /// <param name="services">The services.</param>
        /// <param name="configure">Sets the options.</param>
        /// <returns>The services, for chaining.</returns>
        public static IServiceCollection AddEmbedKv(this IServiceCollection services, Action<KvServerOptions> configure)
        {
            ArgumentNullException.ThrowIfNull(services);
            ArgumentNullException.ThrowIfNull(configure);
            services.AddOptions<KvServerOptions>().Configure(configure).ValidateOnStart();
            services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KvServerOptions>, KvServerOptionsValidator>());
            if (!services.Any(d => d.ServiceType == typeof(EmbedKvHostedService)))
            {
                // Called twice (code and configuration), the options add up; the server is still one.
                services.AddSingleton<EmbedKvHostedService>();
                services.AddHostedService(provider => provider.GetRequiredService<EmbedKvHostedService>());
            }

            return services;
        }

        /// <summary>Reads the section through the server's settings table; a setting it cannot take fails the Options way.</summary>
        private static void Bind(IConfiguration section, KvServerOptions options)
        {
            try
            {
                KvServerSettings.Apply(section.AsEnumerable(makePathsRelative: true), options);
            }
            catch (InvalidSettingException e)
            {
                throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(KvServerOptions), new[] { e.Message });
            }
        }
    }
}
