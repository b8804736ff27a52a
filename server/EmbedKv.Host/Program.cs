// The standalone EmbedKv server. Settings come, each overriding the one before, from appsettings.json
// beside the program, EMBEDKV_* environment variables, and the command line (--help lists them); an
// EMBEDKV_* variable that is no setting is ignored with a warning, an unknown key elsewhere is an error.
// Exit codes: 0 after a clean stop (SIGINT, SIGTERM) or --help; 1 if the server cannot start;
// 2 for a bad setting. `embedkv check [--repair]` checks the data directory instead of serving:
// 0 clean, 1 damaged, 2 bad setting, 3 cannot check (see CheckCommand). `embedkv hash-token` prints
// the SHA-256 of a token read from stdin, for Tokens:NAME:Hash (see HashTokenCommand); `embedkv checkpoint
// --to PATH` copies a stopped store (see CheckpointCommand).
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Threading;
using EmbedKv.Etcd;
using EmbedKv.Server;
using EmbedKv.Server.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Host
{
    /// <summary>Runs one <see cref="KvServer"/> until SIGINT or SIGTERM.</summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Any(a => a is "--help" or "-h" or "-?"))
            {
                Console.Out.Write(HelpText.Text);
                return 0;
            }

            if (args.Length > 0 && args[0] == CheckCommand.Name)
            {
                return CheckCommand.Run(args[1..]);
            }

            if (args.Length > 0 && args[0] == CheckpointCommand.Name)
            {
                return CheckpointCommand.Run(args[1..]);
            }

            if (args.Length > 0 && args[0] == HashTokenCommand.Name)
            {
                return HashTokenCommand.Run(args[1..], Console.In);
            }

            KvServerOptions options;
            EtcdStoreOptions? etcd;
            IConfiguration logging;
            IReadOnlyList<string> ignored;
            try
            {
                (options, etcd, logging, ignored) = HostConfiguration.Read(args);
            }
            catch (Exception e) when (e is InvalidSettingException or FormatException or InvalidDataException)
            {
                // InvalidDataException: appsettings.json is not JSON ("Failed to load configuration from file
                // '...'", with the reason and position only in the innermost exception); FormatException: an
                // argument CheckArguments refused, or an unknown -x=value.
                string message = e.Message;
                if (e is InvalidDataException && e.GetBaseException() is { } reason && reason != e)
                {
                    message = message.TrimEnd('.') + ": " + reason.Message;
                }

                Console.Error.WriteLine("embedkv: " + message);
                return 2;
            }

            // Warnings and errors (a torn tail dropped at recovery, a failed disk) go to stderr, one line each.
            // The level can be changed with the customary "Logging" section (Logging:LogLevel:Default).
            using ILoggerFactory loggers = LoggerFactory.Create(builder => builder
                .SetMinimumLevel(LogLevel.Warning)
                .AddConfiguration(logging)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddSimpleConsole(o => o.SingleLine = true));
            options.Logger = loggers.CreateLogger("EmbedKv");
            ILogger host = loggers.CreateLogger("EmbedKv.Host");
            foreach (string variable in ignored)
            {
                host.LogWarning(HostConfiguration.IgnoredVariableWarning, variable);
            }

            using var stop = new ManualResetEventSlim();
            using PosixSignalRegistration sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);

            // Connects lazily: a cluster out of reach answers 503 per request rather than stop the host.
            using EtcdBackend? backend = etcd is null ? null : new EtcdBackend(etcd);
            options.Backend = backend;
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

            string where = server.Port < 0 ? "unix:" + server.UnixSocketPath : server.BaseAddress.ToString();
            string data = backend is not null
                ? backend.Description + (etcd!.KeyPrefix.Length > 0 ? ", keys under " + etcd.KeyPrefix : string.Empty)
                : "data " + Path.GetFullPath(options.DataDirectory) + ", durability " + options.Durability + ", " + server.Store.Count + " keys recovered";
            Console.Out.WriteLine("EmbedKv listening on " + where + " (" + data + ")");
            if (server.Port >= 0 && server.UnixSocketPath is not null)
            {
                Console.Out.WriteLine("EmbedKv also listening on unix:" + server.UnixSocketPath);
            }

            SystemdNotify systemd = SystemdNotify.FromEnvironment(host);
            systemd.Ready("Listening on " + where);
            stop.Wait();
            systemd.Stopping();
            server.StopAsync(TimeSpan.FromSeconds(5)).GetAwaiter().GetResult();
            Console.Out.WriteLine("EmbedKv stopped");
            return 0;

            void Stop(PosixSignalContext context)
            {
                context.Cancel = true; // we exit on our own, after the store is closed
                stop.Set();
            }
        }
    }
}
