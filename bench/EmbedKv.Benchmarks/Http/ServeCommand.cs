// The "serve" command: runs a KvServer in the foreground for bench/run.sh's HTTP suite until
// SIGTERM or SIGINT, printing "listening <port>" once it accepts connections.
//   dotnet run -c Release --project bench/EmbedKv.Benchmarks -- serve --port 8080 --data DIR
//       [--durability always|batched|batched:250ms|none] [--workers 1] [--max-connections N]
//       [--listener reuseport|exclusive]
using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading;
using EmbedKv.Server;
using EmbedKv.Server.Storage;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Benchmarks.Http
{
    /// <summary>Runs an EmbedKv server until the process is told to stop.</summary>
    public static class ServeCommand
    {
        /// <summary>Entry point for the "serve" command.</summary>
        /// <param name="args">Options after the command name.</param>
        /// <returns>The process exit code.</returns>
        public static int Run(string[] args)
        {
            string? durabilityText = Option(args, "--durability") ?? "always";
            if (!Durability.TryParse(durabilityText, out Durability durability))
            {
                Console.Error.WriteLine("serve: bad --durability '" + durabilityText + "'");
                return 2;
            }

            // The server's messages go to stderr (stdout carries the "listening" line run.sh waits for).
            using ILoggerFactory logging = LoggerFactory.Create(builder => builder
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
                .AddSimpleConsole(o => o.SingleLine = true));
            var options = new KvServerOptions
            {
                BindAddress = "127.0.0.1",
                Port = IntOption(args, "--port", 8080),
                DataDirectory = Option(args, "--data") ?? "embedkv-data",
                Durability = durability,
                Workers = IntOption(args, "--workers", 1),
                ListenerMode = Option(args, "--listener") == "exclusive" ? ListenerMode.SharedExclusive : ListenerMode.ReusePort,
                Logger = logging.CreateLogger("server"),
            };
            string? maxConnections = Option(args, "--max-connections");
            if (maxConnections != null)
            {
                options.Limits.MaxConnections = int.Parse(maxConnections, CultureInfo.InvariantCulture);
            }

            using var stop = new ManualResetEventSlim(false);
            using PosixSignalRegistration term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle);
            using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle);
            using (KvServer server = KvServer.Start(options))
            {
                Console.WriteLine("listening " + server.Port.ToString(CultureInfo.InvariantCulture));
                Console.Out.Flush();
                stop.Wait();
                Console.Error.WriteLine("serve: stopping (" + server.OpenConnections.ToString(CultureInfo.InvariantCulture) + " open connections)");
            }

            return 0;

            void Handle(PosixSignalContext context)
            {
                context.Cancel = true;
                stop.Set();
            }
        }

        private static string? Option(string[] args, string name)
        {
            int i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        }

        private static int IntOption(string[] args, string name, int fallback)
        {
            string? text = Option(args, name);
            return text == null ? fallback : int.Parse(text, CultureInfo.InvariantCulture);
        }
    }
}
