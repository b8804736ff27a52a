using System;
using System.Diagnostics.Metrics;
using System.IO;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EmbedKv.Extensions.Hosting
{
    /// <summary>
    /// Runs a <see cref="KvServer"/> for the lifetime of a Generic Host: started with the host (a port in
    /// use or a locked data directory fails the host's start), stopped gracefully within the host's
    /// shutdown timeout. Resolve it to reach the running <see cref="Server"/> (its port, its store).
    /// </summary>
    public sealed class EmbedKvHostedService : IHostedService, IAsyncDisposable
    {
        private readonly KvServerOptions _options;
        private KvServer? _server;

        /// <summary>Creates the service; the server starts in <see cref="StartAsync"/>.</summary>
        /// <param name="options">Validated options.</param>
        /// <param name="loggerFactory">Where the server logs (category "EmbedKv").</param>
        /// <param name="meterFactory">Creates the "EmbedKv" meter; null outside a host with metrics.</param>
        /// <param name="environment">The host's environment: a relative DataDirectory is under its content root.</param>
        public EmbedKvHostedService(IOptions<KvServerOptions> options, ILoggerFactory loggerFactory, IMeterFactory? meterFactory = null, IHostEnvironment? environment = null)
        {
            ArgumentNullException.ThrowIfNull(options);
            ArgumentNullException.ThrowIfNull(loggerFactory);
            _options = options.Value;
            _options.Logger = loggerFactory.CreateLogger("EmbedKv");
            _options.MeterFactory ??= meterFactory;
            if (environment is not null && !Path.IsPathRooted(_options.DataDirectory))
            {
                // Like every other path a host reads from configuration: not wherever the process was started.
                _options.DataDirectory = Path.Combine(environment.ContentRootPath, _options.DataDirectory);
            }
        }

        /// <summary>The running server; throws before the host has started it.</summary>
        public KvServer Server => _server ?? throw new InvalidOperationException("The EmbedKv server has not started.");

        /// <inheritdoc/>
        public Task StartAsync(CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            _server = KvServer.Start(_options);
            return Task.CompletedTask;
        }

        /// <inheritdoc/>
        public async Task StopAsync(CancellationToken cancellationToken)
        {
            if (_server is { } server)
            {
                // Requests in flight get the host's remaining shutdown time; then connections are closed
                // and the store is synced and closed either way.
                await server.StopAsync(TimeSpan.FromSeconds(5)).WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        /// <inheritdoc/>
        public ValueTask DisposeAsync() => _server?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
