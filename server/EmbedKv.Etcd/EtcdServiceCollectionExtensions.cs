using System;
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
    /// backend is one singleton, made when the server's options are first built and disposed with the
    /// container, after the hosted server has stopped.
    /// </summary>
    public static class EtcdServiceCollectionExtensions
    {
        /// <summary>
        /// Serves from etcd when <paramref name="configuration"/> (the same section as AddEmbedKv's) says
        /// <c>Backend = Etcd</c>, with the options of its <c>Etcd</c> section (<see cref="EtcdSettings"/>);
        /// with Backend absent or Local it adds nothing, so one configuration switches between the two.
        /// A bad setting fails the host's start, naming it.
        /// </summary>
        /// <param name="services">The services.</param>
        /// <param name="configuration">The section holding the server's settings.</param>
        /// <returns>The services, for chaining.</returns>
        public static IServiceCollection AddEmbedKvEtcd(this IServiceCollection services, IConfiguration configuration)
        {
            ArgumentNullException.ThrowIfNull(services);
            ArgumentNullException.ThrowIfNull(configuration);
            bool etcd;
            try
            {
                etcd = EtcdSettings.ChoosesEtcd(configuration.AsEnumerable(makePathsRelative: true));
            }
            catch (InvalidSettingException e)
            {
                throw new OptionsValidationException(Options.Options.DefaultName, typeof(KvServerOptions), new[] { e.Message });
            }

            return etcd ? services.AddEmbedKvEtcd(() => EtcdSettings.Read(configuration.AsEnumerable(makePathsRelative: true))) : services;
        }

        /// <summary>Serves from etcd with options set in code.</summary>
        /// <param name="services">The services.</param>
        /// <param name="configure">Sets the options (endpoints at least).</param>
        /// <returns>The services, for chaining.</returns>
        public static IServiceCollection AddEmbedKvEtcd(this IServiceCollection services, Action<EtcdStoreOptions> configure)
        {
            ArgumentNullException.ThrowIfNull(services);
            ArgumentNullException.ThrowIfNull(configure);
            return services.AddEmbedKvEtcd(() =>
            {
                var options = new EtcdStoreOptions();
                configure(options);
                return options;
            });
        }

        private static IServiceCollection AddEmbedKvEtcd(this IServiceCollection services, Func<EtcdStoreOptions> options)
        {
            services.AddSingleton(_ =>
            {
                try
                {
                    return new EtcdBackend(options());
                }
                catch (Exception e) when (e is InvalidSettingException or ArgumentException)
                {
                    throw new OptionsValidationException(Options.Options.DefaultName, typeof(KvServerOptions), new[] { e.Message });
                }
            });
            services.AddOptions<KvServerOptions>().Configure<EtcdBackend>((server, backend) => server.Backend = backend);
            return services;
        }
    }
}
