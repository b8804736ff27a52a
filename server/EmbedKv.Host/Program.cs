// The standalone EmbedKv server. Settings come, each overriding the one before, from appsettings.json
// beside the program, EMBEDKV_* environment variables, and the command line (--help lists them).
// Exit codes: 0 after a clean stop (SIGINT, SIGTERM) or --help; 1 if the server cannot start;
// 2 for a bad setting.
using System;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using EmbedKv.Extensions.Hosting.Configuration;
using EmbedKv.Runtime.Interop;
using EmbedKv.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace EmbedKv.Host
{
    /// <summary>Runs one <see cref="KvServer"/> until SIGINT or SIGTERM.</summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Any(a => a is "--help" or "-h" or "-?"))
            {
                Console.Out.Write(Help());
                return 0;
            }

            KvServerOptions options;
            try
            {
                options = ReadOptions(args);
            }
            catch (Exception e) when (e is OptionsValidationException or FormatException or InvalidDataException)
            {
                // InvalidDataException: appsettings.json is not JSON ("Failed to load configuration from file
                // '...'", with the reason and position only in the innermost exception); FormatException: an
                // argument CheckArguments refused, or an unknown -x=value.
                string message = e is OptionsValidationException invalid ? string.Join("; ", invalid.Failures) : e.Message;
                if (e is InvalidDataException && e.GetBaseException() is { } reason && reason != e)
                {
                    message = message.TrimEnd('.') + ": " + reason.Message;
                }

                Console.Error.WriteLine("embedkv: " + message);
                return 2;
            }

            // Warnings and errors (a torn tail dropped at recovery, a failed disk) go to stderr, one line each.
            using ILoggerFactory logging = LoggerFactory.Create(builder => builder
                .SetMinimumLevel(LogLevel.Warning)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddSimpleConsole(o => o.SingleLine = true));
            options.Logger = logging.CreateLogger("EmbedKv");

            using var stop = new ManualResetEventSlim();
            using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

            KvServer server;
            try
            {
                server = KvServer.Start(options);
            }
            catch (Exception e)
            {
                // A port in use, a data directory another process holds, a disk that will not open:
                // the message names the syscall and errno (bind 127.0.0.1:8080: EADDRINUSE ...).
                Console.Error.WriteLine("embedkv: cannot start: " + e.Message);
                return 1;
            }

            Console.Out.WriteLine("EmbedKv listening on " + server.BaseAddress + " (data " + Path.GetFullPath(options.DataDirectory)
                + ", durability " + options.Durability + ", " + server.Store.Count + " keys recovered)");
            stop.Wait();
            server.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            Console.Out.WriteLine("EmbedKv stopped");
            return 0;

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true; // we exit on our own, after the store is closed
                stop.Set();
            }
        }

        private static KvServerOptions ReadOptions(string[] args)
        {
            CheckArguments(args);
            IConfiguration configuration = new ConfigurationBuilder()
                .SetBasePath(AppContext.BaseDirectory)
                .AddJsonFile("appsettings.json", optional: true)
                .Add(new EnvironmentSettings())
                .AddCommandLine(args, KvServerSettings.SwitchMappings)
                .Build();
            var options = new KvServerOptions();
            KvServerSettings.Bind(configuration, options);
            KvServerSettings.Validate(options);
            return options;
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

        private static string Help() =>
            "usage: embedkv [--port N] [--bind ADDRESS] [--data DIR] [--durability MODE] [--workers N] [--Key value ...]\n"
            + "\n"
            + "An HTTP key-value server: GET, HEAD, PUT, POST and DELETE on /{key}, stored durably on disk.\n"
            + "Settings, each source overriding the one before: appsettings.json beside the program,\n"
            + "EMBEDKV_* environment variables, then the command line (--Key value or the short switches).\n"
            + "\n"
            + "settings:\n"
            + KvServerSettings.Help()
            + "\n"
            + "SIGINT or SIGTERM stops the server after requests in flight (up to 5 s); every acknowledged write is kept.\n";

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
