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

        public static EtcdStore Connect(IReadOnlyList<string> endpoints, TimeSpan? requestTimeout = null)
        {
            var options = new EtcdStoreOptions { RequestTimeout = requestTimeout ?? TimeSpan.FromSeconds(10) };
            foreach (string endpoint in endpoints)
            {
                options.Endpoints.Add(endpoint);
            }

            return EtcdStore.Connect(options);
        }

        /// <summary>A key (or prefix) unique to this test run and call.</summary>
        public static byte[] UniqueKey(string name)
            => Encoding.UTF8.GetBytes("t/" + Environment.ProcessId + "/" + Interlocked.Increment(ref s_next) + "/" + name);
    }
}
