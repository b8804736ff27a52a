using System;
using System.Collections.Generic;
using EmbedKv.Etcd;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

#pragma warning disable IDE0130 // beside AddEmbedKv, in the namespace services.Add* extensions use by convention
namespace Microsoft.Extensions.DependencyInjection
{
    /// <summary>
    /// Puts an EmbedKv server registered with AddEmbedKv (EmbedKv.Extensions.Hosting) on an etcd cluster. The
    /// backend is one singleton, made when the server's options are first built (at the host's start) and
    /// disposed with the container, after the hosted server has stopped.
    /// </summary>
    public static class EtcdServiceCollectionExtensions
    {
        /// <summary>
        /// Serves from etcd when <paramref name="configuration"/> (the same section as AddEmbedKv's) says
        /// <c>Backend = Etcd</c>, with the options of its <c>Etcd</c> section (<see cref="EtcdSettings"/>).
        /// With Backend absent, empty or Local it serves from the data directory and the <c>Etcd</c> section is
        /// left unread, so one configuration switches between the two by that key alone. A bad setting fails
        /// the host's start, naming it.
        /// </summary>
        /// <param name="services">The services.</param>
        /// <param name="configuration">The section holding the server's settings.</param>
        /// <returns>The services, for chaining.</returns>
        public static IServiceCollection AddEmbedKvEtcd(this IServiceCollection services, IConfiguration configuration)
        {
            ArgumentNullException.ThrowIfNull(services);
            ArgumentNullException.ThrowIfNull(configuration);
            return services.AddBackend(
                () => EtcdSettings.ChoosesEtcd(Settings(configuration)),
                () => EtcdSettings.Read(Settings(configuration)));
        }

        /// <summary>Serves from etcd with options set in code, whatever the configuration's Backend says.</summary>
        /// <param name="services">The services.</param>
        /// <param name="configure">Sets the options (endpoints at least).</param>
        /// <returns>The services, for chaining.</returns>
        public static IServiceCollection AddEmbedKvEtcd(this IServiceCollection services, Action<EtcdStoreOptions> configure)
        {
            ArgumentNullException.ThrowIfNull(services);
            ArgumentNullException.ThrowIfNull(configure);
            return services.AddBackend(
                () => true,
                () =>
                {
                    var options = new EtcdStoreOptions();
                    configure(options);
                    return options;
                });
        }

        private static IServiceCollection AddBackend(this IServiceCollection services, Func<bool> chosen, Func<EtcdStoreOptions> options)
        {
            // The Etcd section is this package's, whichever backend is chosen: AddEmbedKv leaves it alone.
            services.AddSingleton(new BackendSection(EtcdSettings.Name));
            services.AddSingleton(_ => Settled(() => new EtcdBackend(options())));
            services.AddOptions<KvServerOptions>().Configure<IServiceProvider>((server, provider) =>
            {
                if (Settled(chosen))
                {
                    server.Backend = provider.GetRequiredService<EtcdBackend>();
                }
            });
            return services;
        }

        private static IEnumerable<KeyValuePair<string, string?>> Settings(IConfiguration configuration) => configuration.AsEnumerable(makePathsRelative: true);

        /// <summary>Runs <paramref name="read"/>, turning a bad setting into the Options failure that stops the host's start.</summary>
        private static T Settled<T>(Func<T> read)
        {
            try
            {
                return read();
            }
            catch (Exception e) when (e is InvalidSettingException or ArgumentException)
            {
                throw new OptionsValidationException(Options.Options.DefaultName, typeof(KvServerOptions), new[] { e.Message });
            }
        }
    }
}
