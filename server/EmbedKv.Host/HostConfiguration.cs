using System;
using EmbedKv.Extensions.Hosting.Configuration;
using EmbedKv.Runtime.Interop;
using EmbedKv.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;

namespace EmbedKv.Host
{
    /// <summary>
    /// The host's settings: appsettings.json beside the program, then EMBEDKV_* environment variables,
    /// then the command line, each overriding the one before; besides the server's settings, only the
    /// customary "Logging" section is accepted.
    /// </summary>
    internal static class HostConfiguration
    {
        private const string LoggingSection = "Logging";

        /// <summary>Reads and validates the options; throws OptionsValidationException, FormatException or InvalidDataException.</summary>
        public static (KvServerOptions Options, IConfiguration Logging) Read(string[] args)
        {
            CheckArguments(args);
            IConfiguration configuration = new ConfigurationBuilder()
                .SetBasePath(AppContext.BaseDirectory)
                .AddJsonFile("appsettings.json", optional: true)
                .Add(new EnvironmentSettings())
                .AddCommandLine(args, KvServerSettings.SwitchMappings)
                .Build();
            var options = new KvServerOptions();
            KvServerSettings.Bind(configuration, options, LoggingSection);
            KvServerSettings.Validate(options);
            return (options, configuration.GetSection(LoggingSection));
        }

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

                if (!arg.StartsWith("--", StringComparison.Ordinal) && arg.StartsWith('-') && !KvServerSettings.SwitchMappings.ContainsKey(arg))
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
        /// EMBEDKV_* environment variables (EMBEDKV_PORT, EMBEDKV_LIMITS__IDLETIMEOUT), except the runtime's
        /// own EMBEDKV_SYSCALL_FALLBACK: it shares the prefix but is not a setting, and taking it for an
        /// unknown one would stop the host exactly when someone forces the fallback.
        /// </summary>
        private sealed class EnvironmentSettings : IConfigurationSource
        {
            public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider();

            private sealed class Provider : EnvironmentVariablesConfigurationProvider
            {
                public Provider()
                    : base(KvServerSettings.EnvironmentPrefix)
                {
                }

                public override void Load()
                {
                    base.Load();
                    Data.Remove(StubPage.ForceFallbackVariable.Substring(KvServerSettings.EnvironmentPrefix.Length));
                }
            }
        }
    }
}
