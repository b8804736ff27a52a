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
        /// <remarks>
        /// <c>Backend</c> other than <c>Local</c> names a backend from its own package, which reads the section
        /// of that name and sets <see cref="KvServerOptions.Backend"/>: <c>Backend = Etcd</c> with the
        /// <c>Etcd</c> section needs EmbedKv.Etcd's <c>services.AddEmbedKvEtcd(configuration)</c> as well, and
        /// the host's start fails, saying so, without it.
        /// </remarks>
        /// <param name="services">The services.</param>
        /// <param name="configuration">The section holding the server's settings.</param>
        /// <returns>The services, for chaining.</returns>
        public static IServiceCollection AddEmbedKv(this IServiceCollection services, IConfiguration configuration)
        {
            ArgumentNullException.ThrowIfNull(configuration);
            services.AddEmbedKv(options => Bind(configuration, options));
            string? backend = OtherBackend(configuration);
            if (backend is not null)
            {
                services.AddOptions<KvServerOptions>().Validate(
                    options => options.Backend is not null,
                    KvServerSettings.BackendKey + " is " + backend + ", but no such backend is registered: add its package's services.AddEmbedKv" + backend + "(configuration), such as EmbedKv.Etcd's AddEmbedKvEtcd");
            }

            return services;
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

        /// <summary>
        /// Reads the section through the server's settings table; a setting it cannot take fails the Options way.
        /// The Backend key, and the section of the backend it names, belong to that backend's package.
        /// </summary>
        private static void Bind(IConfiguration section, KvServerOptions options)
        {
            try
            {
                string? backend = OtherBackend(section);
                string[] theirs = backend is null ? new[] { KvServerSettings.BackendKey } : new[] { KvServerSettings.BackendKey, backend };
                KvServerSettings.Apply(section.AsEnumerable(makePathsRelative: true), options, theirs);
            }
            catch (InvalidSettingException e)
            {
                throw new OptionsValidationException(Microsoft.Extensions.Options.Options.DefaultName, typeof(KvServerOptions), new[] { e.Message });
            }
        }

        /// <summary>The backend the section's Backend key names, or null for the store on disk (absent or Local).</summary>
        private static string? OtherBackend(IConfiguration section)
        {
            string? name = section[KvServerSettings.BackendKey]?.Trim();
            return string.IsNullOrEmpty(name) || name.Equals(KvServerSettings.LocalBackend, StringComparison.OrdinalIgnoreCase) ? null : name;
        }
    }
}
