using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Net;
using EmbedKv.Server.Diagnostics;
using EmbedKv.Server.Kv.Access;
using EmbedKv.Server.Kv.Remote;
using EmbedKv.Server.Loop;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server
{
    /// <summary>
    /// An embedded HTTP/1.1 key-value server: <c>GET</c>, <c>HEAD</c>, <c>PUT</c>, <c>POST</c> and
    /// <c>DELETE</c> on <c>/{key}</c>, served by event loops on background threads, stored durably on disk.
    /// <code>using var kv = KvServer.Start(8080);</code>
    /// </summary>
    public sealed class KvServer : IDisposable, IAsyncDisposable
    {
        private readonly KvStore? _store;
        private readonly List<EventLoop> _loops;
        private readonly List<FileDescriptor> _listeners;
        private readonly UnixListener? _unix;
        private readonly SharedCounter _open;
        private readonly KvMetrics _metrics;
        private readonly object _stopLock = new object();
        private bool _stopped;

        /// <summary>Exchanges made and exchanges idle in all loops' pools (Loop/ExchangeParts), for tests.</summary>
        internal (int Created, int Free) ExchangePool
        {
            get
            {
                int created = 0, free = 0;
                foreach (EventLoop loop in _loops)
                {
                    created += loop.Parts.Created;
                    free += loop.Parts.Free;
                }

                return (created, free);
            }
        }

        /// <summary>Long-polls under way in all loops (Loop/WaitingReads), for tests.</summary>
        internal int WaitingReads
        {
            get
            {
                int waiting = 0;
                foreach (EventLoop loop in _loops)
                {
                    waiting += loop.Waits.Count;
                }

                return waiting;
            }
        }

        private KvServer(KvServerOptions options, KvStore? store, List<EventLoop> loops, List<FileDescriptor> listeners, UnixListener? unix, SharedCounter open, KvMetrics metrics, InetEndpoint? endpoint, int maxConnections)
        {
            _unix = unix;
            MaxConnections = maxConnections;
            _metrics = metrics;
            Options = options;
            _store = store;
            _loops = loops;
            _listeners = listeners;
            _open = open;
            Port = endpoint?.Port ?? -1;
            Address = endpoint?.ToString() ?? unix!.ToString();
        }

        /// <summary>The options the server runs with, as they were passed (see <see cref="MaxConnections"/> for the one the server may lower).</summary>
        public KvServerOptions Options { get; }

        /// <summary>
        /// The most connections the server keeps open: <c>Options.Limits.MaxConnections</c>, or fewer if the
        /// process's descriptor limit cannot hold that many (logged at start; docs/server.md, "Descriptor limits").
        /// </summary>
        public int MaxConnections { get; }

        /// <summary>The port it listens on (the one the kernel picked, if asked for port 0); -1 with no TCP port.</summary>
        public int Port { get; }

        /// <summary>The bound address and port, such as "127.0.0.1:8080"; "unix:PATH" with no TCP port.</summary>
        public string Address { get; }

        /// <summary>The Unix domain socket it listens on too, or null.</summary>
        public string? UnixSocketPath => _unix?.Endpoint.Path;

        /// <summary>http://address:port/, for clients; http://localhost/ with no TCP port (a client reaches it through the socket).</summary>
        public Uri BaseAddress => new Uri(Port < 0 ? "http://localhost/" : "http://" + Address + "/");

        /// <summary>The store behind the server (keys, disk use, recovery report).</summary>
        /// <exception cref="InvalidOperationException">The server runs on a remote backend (<see cref="KvServerOptions.Backend"/>), not on a local store.</exception>
        public KvStore Store => _store ?? throw new InvalidOperationException("this server's keys are in " + Options.Backend!.Description + ", not in a local store");

        /// <summary>The "EmbedKv" meter this server's instruments are on (see docs/server.md, Metrics).</summary>
        internal KvMetrics Metrics => _metrics;

        /// <summary>Connections open now.</summary>
        public int OpenConnections => _open.Value;

        /// <summary>Starts a server on 127.0.0.1:<paramref name="port"/> with data in ./embedkv-data.</summary>
        /// <param name="port">The port; 0 picks a free one.</param>
        /// <returns>The running server.</returns>
        public static KvServer Start(int port) => Start(new KvServerOptions { Port = port });

        /// <summary>
        /// Starts a server. Fails fast, naming the syscall and errno (port in use, directory locked or unwritable).
        /// Raises the process's soft limit on open descriptors to its hard limit, and keeps to fewer
        /// connections than configured if even that limit cannot hold them (see <see cref="MaxConnections"/>).
        /// </summary>
        /// <param name="options">The options.</param>
        /// <returns>The running server.</returns>
        public static KvServer Start(KvServerOptions options) => Start(options, KvStore.Open);

        /// <summary>As <see cref="Start(KvServerOptions)"/>, with the store opened by <paramref name="openStore"/> (tests inject faults there).</summary>
        internal static KvServer Start(KvServerOptions options, Func<StoreOptions, KvStore> openStore)
        {
            ArgumentNullException.ThrowIfNull(options);
            options.Validate();
            KvMetrics? metrics = null;
            KvStore? store = null;
            if (options.Backend is null)
            {
                StoreOptions storeOptions = options.StoreOptions();
                storeOptions.BatchCommitted = writes => metrics?.BatchCommitted(writes);
                store = openStore(storeOptions);
            }

            var loops = new List<EventLoop>();
            var listeners = new List<FileDescriptor>();
            UnixListener? unix = null;
            try
            {
                // Counted after the store has opened its files and before the loops open theirs.
                int maxConnections = DescriptorBudget.MaxConnections(options);
                var shortage = new DescriptorShortage(options.Logger);
                var open = new SharedCounter();
                var failures = new AccessFailures(options.Logger);
                var guard = new AccessGuard(TokenTable.From(options.Tokens), failures);
                BackendHealth? health = options.Backend is null ? null : new BackendHealth(options.Logger, options.Backend.Description);
                bool reusePort = options.ListenerMode == ListenerMode.ReusePort;
                InetEndpoint? bound = null;
                if (options.Port >= 0)
                {
                    InetEndpoint requested = InetEndpoint.Parse(options.BindAddress, options.Port);
                    if (reusePort && requested.Port != 0)
                    {
                        // SO_REUSEPORT would let this server share a port another server (of the same user)
                        // already serves, splitting clients between two data sets. A first bind without it
                        // fails with EADDRINUSE if anyone holds the port; then the loops' listeners take it.
                        // Port 0 needs no probe: the kernel's pick for bind(0) never shares a port through
                        // SO_REUSEPORT, and probing it left a moment, between the probe's close and the
                        // listener's bind, in which a client's connect could take the port (EADDRINUSE in a
                        // parallel test run).
                        using FileDescriptor probe = ListeningSocket.Open(requested, reusePort: false);
                    }

                    listeners.Add(ListeningSocket.Open(requested, reusePort: reusePort));
                    bound = InetEndpoint.LocalOf(listeners[0].Value);
                    for (int i = 1; reusePort && i < options.Workers; i++)
                    {
                        // Every loop its own listener on the same port: the kernel balances new connections.
                        listeners.Add(ListeningSocket.Open(InetEndpoint.Parse(options.BindAddress, bound.Value.Port), reusePort: true));
                    }
                }

                if (options.UnixSocketPath is not null)
                {
                    unix = UnixListeningSocket.Open(options.UnixSocketPath, (uint)options.UnixSocketMode);
                }

                metrics = new KvMetrics(options.MeterFactory, bound?.ToString() ?? unix!.ToString(), bound?.Port ?? -1, store, open, failures, health);
                for (int i = 0; i < options.Workers; i++)
                {
                    var loopListeners = new List<(FileDescriptor, bool)>();
                    if (bound is not null)
                    {
                        loopListeners.Add(reusePort ? (listeners[i], false) : (listeners[0], true));
                    }

                    if (unix is not null)
                    {
                        loopListeners.Add((unix.Descriptor, true)); // no SO_REUSEPORT for Unix sockets: all loops share it
                    }

                    loops.Add(new EventLoop(i, store, options, loopListeners, open, maxConnections, shortage, metrics.AddLoop(), guard, health));
                }

                foreach (EventLoop loop in loops)
                {
                    loop.Start();
                }

                string address = bound is null ? unix!.ToString() : unix is null ? bound.Value.ToString() : bound.Value + " and " + unix;
                if (store is null)
                {
                    ServerLog.ListeningOnBackend(options.Logger, address, options.Workers, options.Backend!.Description);
                }
                else
                {
                    ServerLog.Listening(options.Logger, address, options.Workers, options.DataDirectory, store.Count, options.Durability.ToString());
                }

                return new KvServer(options, store, loops, listeners, unix, open, metrics, bound, maxConnections);
            }
            catch
            {
                foreach (EventLoop loop in loops)
                {
                    loop.Dispose();
                }

                foreach (FileDescriptor listener in listeners)
                {
                    listener.Dispose();
                }

                unix?.Dispose();
                metrics?.Dispose();
                store?.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Stops accepting, lets requests in flight finish until <paramref name="timeout"/>, closes every
        /// connection, and closes the store (which makes every acknowledged write durable).
        /// </summary>
        /// <param name="timeout">How long requests in flight may take.</param>
        /// <returns>A task that completes when the server has stopped.</returns>
        public Task StopAsync(TimeSpan timeout)
        {
            // Stopping joins threads and syncs the disk: it gets a thread of its own, not the thread pool's.
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var stopper = new System.Threading.Thread(() =>
            {
                try
                {
                    Stop(timeout);
                    done.SetResult();
                }
                catch (Exception e)
                {
                    done.SetException(e);
                }
            })
            { IsBackground = true, Name = "EmbedKv stop" };
            stopper.Start();
            return done.Task;
        }

        /// <summary>Stops with a 5-second grace period.</summary>
        public void Dispose() => Stop(TimeSpan.FromSeconds(5));

        /// <summary>Stops with a 5-second grace period.</summary>
        /// <returns>A task that completes when the server has stopped.</returns>
        public ValueTask DisposeAsync() => new ValueTask(StopAsync(TimeSpan.FromSeconds(5)));

        private void Stop(TimeSpan timeout)
        {
            lock (_stopLock)
            {
                if (_stopped)
                {
                    return;
                }

                _stopped = true;
                long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;

                // The socket file goes first, while this server still answers on it: another server's
                // liveness check then finds it alive, so none can replace it between our check and our unlink.
                RemoveUnixSocketFile();
                foreach (EventLoop loop in _loops)
                {
                    loop.BeginStop(deadline);
                }

                foreach (EventLoop loop in _loops)
                {
                    loop.Join(timeout + TimeSpan.FromSeconds(5));
                    loop.Dispose();
                }

                foreach (FileDescriptor listener in _listeners)
                {
                    listener.Dispose();
                }

                _unix?.Dispose();
                _metrics.Dispose();
                _store?.Dispose();
                ServerLog.Stopped(Options.Logger, Address);
            }
        }

        private void RemoveUnixSocketFile()
        {
            try
            {
                _unix?.RemoveFile();
            }
            catch (SyscallException e)
            {
                // Left behind, it is a stale socket the next start replaces; the stop goes on.
                ServerLog.UnixSocketNotRemoved(Options.Logger, _unix!.ToString(), e.Message);
            }
        }
    }
}
