using System;
using System.Collections.Generic;
using System.Net.Http;
using EmbedKv.Server;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Etcd.Tests.Http
{
    /// <summary>
    /// A real EmbedKv server on a loopback port for the contract tests, on either backend: "local" (the
    /// log-structured store in a temporary directory) or "etcd" (the shared 3-member cluster), with an
    /// HttpClient on it. On etcd each test's keys sit under a prefix of their own, since the cluster outlives the test.
    /// </summary>
    internal sealed class ApiServer : IDisposable
    {
        private readonly TempDirectory? _directory;
        private readonly EtcdBackend? _backend;

        private ApiServer(KvServer server, TempDirectory? directory, EtcdBackend? backend, string prefix)
        {
            Server = server;
            _directory = directory;
            _backend = backend;
            Prefix = prefix;
            Client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        }

        public KvServer Server { get; }

        public HttpClient Client { get; }

        /// <summary>Put before every key of the test ("t/PID/N/" on etcd, "" on a fresh local store).</summary>
        public string Prefix { get; }

        /// <summary>The bearer token of the one client a server started with adminToken knows.</summary>
        public const string AdminToken = "admin-token-for-the-contract-tests";

        public static ApiServer Start(string backend, IReadOnlyList<string> etcdEndpoints, string? prefix = null, TimeSpan? requestTimeout = null, bool adminToken = false)
        {
            if (backend == "local")
            {
                var directory = new TempDirectory();
                return new ApiServer(KvServer.Start(new KvServerOptions { Port = 0, DataDirectory = directory.Path, Workers = 1 }), directory, null, prefix ?? "");
            }

            var options = new EtcdStoreOptions { RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10) };
            foreach (string endpoint in etcdEndpoints)
            {
                options.Endpoints.Add(endpoint);
            }

            var etcd = new EtcdBackend(options);
            var serverOptions = new KvServerOptions { Port = 0, Backend = etcd, Workers = 1 };
            if (adminToken)
            {
                serverOptions.Tokens.Add(new AccessToken { Name = "admin", Hash = AccessToken.HashOf(AdminToken), Scopes = TokenScopes.Admin | TokenScopes.Read | TokenScopes.Write });
            }

            KvServer server = KvServer.Start(serverOptions);
            return new ApiServer(server, null, etcd, prefix ?? System.Text.Encoding.ASCII.GetString(Backend.Stores.UniqueKey("http/")));
        }

        /// <summary>The path of <paramref name="name"/> under this test's prefix.</summary>
        public string Path(string name) => "/" + Uri.EscapeDataString(Prefix + name);

        public void Dispose()
        {
            Client.Dispose();
            Server.Dispose();
            _backend?.Dispose();
            _directory?.Dispose();
        }
    }
}
