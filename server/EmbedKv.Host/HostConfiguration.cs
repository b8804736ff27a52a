using System;
using System.Collections.Generic;
using System.Linq;
using EmbedKv.Etcd;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace EmbedKv.Host
{
    /// <summary>
    /// The host's settings: appsettings.json beside the program, then EMBEDKV_* environment variables,
    /// then the command line, each overriding the one before, read through the server's settings table
    /// (<see cref="KvServerSettings"/>) and the etcd backend's (<see cref="EtcdSettings"/>: Backend and the
    /// Etcd section); besides those, only the customary "Logging" section is accepted.
    /// </summary>
    internal static class HostConfiguration
    {
        /// <summary>The prefix of the host's environment variables (EMBEDKV_PORT, EMBEDKV_LIMITS__IDLETIMEOUT).</summary>
        public const string EnvironmentPrefix = "EMBEDKV_";

        private const string LoggingSection = "Logging";

        /// <summary>Why check and checkpoint refuse to run when Backend is Etcd.</summary>
        public const string NoDataDirectory = "Backend is Etcd: the data is in the etcd cluster, not in a data directory";

        /// <summary>Short command-line switches (--port, --bind, --data, --durability, --workers) to their keys, for AddCommandLine.</summary>
        public static IDictionary<string, string> SwitchMappings { get; } =
            KvServerSettings.All.Where(s => s.Switch is not null).ToDictionary(s => s.Switch!, s => s.Key, StringComparer.OrdinalIgnoreCase);

        /// <summary>The environment variable the host reads <paramref name="setting"/> from: EMBEDKV_ and the key, with ':' as "__".</summary>
        public static string EnvironmentVariable(Setting setting) => EnvironmentVariable(setting.Key);

        /// <summary>The environment variable the host reads <paramref name="key"/> from: EMBEDKV_ and the key, with ':' as "__".</summary>
        public static string EnvironmentVariable(string key) =>
            EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal).ToUpperInvariant();

        /// <summary>
        /// Reads and validates the options; throws InvalidSettingException, FormatException or InvalidDataException.
        /// EMBEDKV_* variables that are not settings are left out rather than refused (a script's own
        /// EMBEDKV_CHECKOUT must not stop the server): <c>Ignored</c> names them, for one warning each.
        /// The etcd backend is read, not connected: the caller that serves makes it from <c>Etcd</c>.
        /// </summary>
        public static HostSettings Read(string[] args)
        {
            CheckArguments(args);
            var environment = new EnvironmentSettings();
            IConfiguration configuration = new ConfigurationBuilder()
                .SetBasePath(AppContext.BaseDirectory)
                .AddJsonFile("appsettings.json", optional: true)
                .Add(environment)
                .AddCommandLine(args, SwitchMappings)
                .Build();
            var options = new KvServerOptions();
            List<KeyValuePair<string, string?>> settings = configuration.AsEnumerable(makePathsRelative: true).ToList();
            KvServerSettings.Apply(settings, options, LoggingSection, KvServerSettings.BackendKey, EtcdSettings.Name);
            KvServerSettings.Validate(options);
            EtcdStoreOptions? etcd = EtcdSettings.ChoosesEtcd(settings) ? EtcdSettings.Read(settings) : null;
            return new HostSettings(options, etcd, configuration.GetSection(LoggingSection), environment.Ignored);
        }

        /// <summary>The warning (a log message template) for an EMBEDKV_* variable <see cref="Read"/> left out.</summary>
        public const string IgnoredVariableWarning = "Ignored environment variable {Variable}: it is not a setting (see --help for the settings)";

        /// <summary>
        /// Refuses what the command-line provider would skip without a word: a last switch with no value
        /// ("embedkv --data" would run on the default directory), a word that is not a switch, a
        /// single-dash switch it does not know ("-p 8081": both skipped, so the default port).
        /// </summary>
        private static void CheckArguments(string[] args)
        {
            for (int i = 0; i < args.Length; i++)
            {
                string arg = args[i];
                if (arg.Contains('=', StringComparison.Ordinal))
                {
                    continue; // --key=value (the provider itself refuses an unknown -x=value)
                }

                if (!arg.StartsWith('-') && !arg.StartsWith('/'))
                {
                    throw new FormatException("unexpected argument '" + arg + "' (settings are --key value or --key=value; see --help)");
                }

                if (!arg.StartsWith("--", StringComparison.Ordinal) && arg.StartsWith('-') && !SwitchMappings.ContainsKey(arg))
                {
                    throw new FormatException("unknown switch '" + arg + "' (see --help for the settings)");
                }

                if (i + 1 == args.Length)
                {
                    throw new FormatException("switch '" + arg + "' has no value (see --help)");
                }

                i++; // the switch's value, whatever it looks like, as the provider reads it
            }
        }

        /// <summary>
        /// EMBEDKV_* environment variables (EMBEDKV_PORT, EMBEDKV_LIMITS__IDLETIMEOUT, EMBEDKV_LOGGING__…).
        /// One that names no setting is left out and listed in <see cref="Ignored"/>: the prefix is not ours
        /// alone, so an unknown variable is only a warning; an unknown key in appsettings.json or on the
        /// command line is still an error.
        /// </summary>
        private sealed class EnvironmentSettings : IConfigurationSource
        {
            private readonly List<string> _ignored = new List<string>();

            public IReadOnlyList<string> Ignored => _ignored;

            public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(_ignored);

            private sealed class Provider : EnvironmentVariablesConfigurationProvider
            {
                private readonly List<string> _ignored;

                public Provider(List<string> ignored)
                    : base(EnvironmentPrefix) => _ignored = ignored;

                public override void Load()
                {
                    base.Load();
                    _ignored.Clear();
                    foreach (string key in Data.Keys.Where(key => !IsHostKey(key)).Order(StringComparer.Ordinal).ToList())
                    {
                        Data.Remove(key);
                        _ignored.Add(EnvironmentPrefix + key.Replace(":", "__", StringComparison.Ordinal));
                    }
                }

                private static bool IsHostKey(string key) =>
                    KvServerSettings.IsKnown(key)
                    || EtcdSettings.IsKnown(key)
                    || key.Equals(LoggingSection, StringComparison.OrdinalIgnoreCase)
                    || key.StartsWith(LoggingSection + ":", StringComparison.OrdinalIgnoreCase);
            }
        }
    }
}
