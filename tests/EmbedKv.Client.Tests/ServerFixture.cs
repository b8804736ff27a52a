using System;
using System.Net.Http;
using EmbedKv.Server;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Client.Tests
{
    /// <summary>A real KvServer on 127.0.0.1 over its own temporary data directory, and clients of it; restartable on the same port and data.</summary>
    internal sealed class ServerFixture : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly Action<KvServerOptions>? _configure;

        public ServerFixture(Action<KvServerOptions>? configure = null)
        {
            _configure = configure;
            Server = KvServer.Start(Options(port: 0));
        }

        public KvServer Server { get; private set; }

        public Uri BaseAddress => new Uri("http://127.0.0.1:" + Server.Port + "/");

        /// <summary>A client over an HttpClient of its own, with quick retries so that tests of outages stay short.</summary>
        public EmbedKvClient Client(Action<EmbedKvClientOptions>? configure = null) => Client(out _, configure);

        /// <summary>As <see cref="Client(Action{EmbedKvClientOptions}?)"/>, counting the requests it sends.</summary>
        public EmbedKvClient Client(out CountingHandler sent, Action<EmbedKvClientOptions>? configure = null)
        {
            var options = new EmbedKvClientOptions { BaseAddress = BaseAddress, RetryDelay = TimeSpan.FromMilliseconds(20), MaxRetryDelay = TimeSpan.FromMilliseconds(500) };
            configure?.Invoke(options);
            sent = new CountingHandler();
            return new EmbedKvClient(new HttpClient(sent) { Timeout = TimeSpan.FromMinutes(2) }, options);
        }

        public void Stop() => Server.Dispose();

        /// <summary>A new server on the same port and data directory.</summary>
        public void Start() => Server = KvServer.Start(Options(Server.Port));

        public void Dispose()
        {
            Server.Dispose();
            _dir.Dispose();
        }

        private KvServerOptions Options(int port)
        {
            var options = new KvServerOptions { Port = port, DataDirectory = _dir.Path, Workers = 2 };
            _configure?.Invoke(options);
            return options;
        }
    }
}
