using System;
using System.Collections.Generic;
using System.Text;
using System.Threading;

namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>Stores on a test cluster, and keys no other test uses (the shared cluster outlives each test).</summary>
    internal static class Stores
    {
        private static int s_next;

        public static EtcdStore Connect(IReadOnlyList<string> endpoints, TimeSpan? requestTimeout = null, string keyPrefix = "")
        {
            var options = new EtcdStoreOptions { RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10), KeyPrefix = keyPrefix };
            foreach (string endpoint in endpoints)
            {
                options.Endpoints.Add(endpoint);
            }

            return EtcdStore.Connect(options);
        }

        /// <summary>A loopback port nothing listens on (bound, read and closed): a cluster out of reach.</summary>
        public static int UnusedPort()
        {
            using var socket = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
            socket.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
            return ((System.Net.IPEndPoint)socket.LocalEndPoint!).Port;
        }

        /// <summary>A key (or prefix) unique to this test run and call.</summary>
        public static byte[] UniqueKey(string name)
            => Encoding.UTF8.GetBytes("t/" + Environment.ProcessId + "/" + Interlocked.Increment(ref s_next) + "/" + name);
    }
}
