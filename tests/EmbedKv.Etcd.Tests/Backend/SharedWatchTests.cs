using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Server.Storage;

namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>
    /// Waits share one watch stream (WatchHub): many waits are one stream and as many watchers on the cluster,
    /// read off the members' own metrics; ended waits leave no watcher behind; and killing the member that holds
    /// the stream moves every open wait to another member without missing a change made meanwhile.
    /// </summary>
    public sealed class SharedWatchTests
    {
        private const int Waits = 200;

        [Fact]
        public async Task Many_waits_are_one_stream_and_ended_ones_leave_no_watcher_on_the_cluster()
        {
            using EtcdCluster cluster = EtcdCluster.Start(3);
            using var metrics = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using EtcdStore store = Stores.Connect(cluster.ClientUrls);
            byte[][] keys = Enumerable.Range(0, Waits).Select(i => Stores.UniqueKey("shared/" + i)).ToArray();
            long revision = (await store.GetAsync(keys[0])).Revision;

            Task<bool>[] waits = keys.Select(k => store.WaitForChangeAsync(k, revision, TimeSpan.FromSeconds(4))).ToArray();
            await Until(async () => await Sum(metrics, cluster, "etcd_debugging_mvcc_watcher_total") == Waits, "every wait watched");
            Assert.Equal(1, await Sum(metrics, cluster, "etcd_debugging_mvcc_watch_stream_total"));
            Assert.Equal(1, store.Watches.StreamsOpened);

            // Half the keys change: those waits end true; the rest run out, false.
            for (int i = 0; i < Waits; i += 2)
            {
                await store.PutAsync(keys[i], "changed"u8.ToArray(), WriteCondition.None);
            }

            bool[] changed = await Task.WhenAll(waits);
            Assert.Equal(Enumerable.Range(0, Waits).Select(i => i % 2 == 0), changed);
            Assert.Equal(0, store.Watches.Open);
            // Each ended wait cancelled its watcher: the cluster holds none, and the one stream stays for the next.
            await Until(async () => await Sum(metrics, cluster, "etcd_debugging_mvcc_watcher_total") == 0, "every watcher cancelled");
            Assert.Equal(1, await Sum(metrics, cluster, "etcd_debugging_mvcc_watch_stream_total"));
        }

        [Fact]
        public async Task Killing_the_member_that_holds_the_stream_moves_every_wait_and_misses_no_change()
        {
            using EtcdCluster cluster = EtcdCluster.Start(3);
            using var metrics = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using EtcdStore store = Stores.Connect(cluster.ClientUrls, TimeSpan.FromSeconds(10));
            byte[][] keys = Enumerable.Range(0, 20).Select(i => Stores.UniqueKey("moved/" + i)).ToArray();
            long revision = (await store.GetAsync(keys[0])).Revision;
            Task<bool>[] waits = keys.Select(k => store.WaitForChangeAsync(k, revision, TimeSpan.FromSeconds(60))).ToArray();
            await Until(async () => await Sum(metrics, cluster, "etcd_debugging_mvcc_watcher_total") == keys.Length, "every wait watched");

            int holder = -1;
            for (int m = 0; m < 3; m++)
            {
                if (await Read(metrics, cluster.ClientUrls[m], "etcd_debugging_mvcc_watch_stream_total") == 1)
                {
                    holder = m;
                }
            }

            Assert.True(holder >= 0, "no member holds the watch stream");
            cluster.Kill(holder);
            // Changed through the other members while the waits move: the new watchers start from each wait's
            // own revision, so these changes are replayed to them rather than missed.
            using EtcdStore survivors = Stores.Connect(cluster.ClientUrls.Where((_, m) => m != holder).ToArray(), TimeSpan.FromSeconds(20));
            foreach (byte[] key in keys)
            {
                await survivors.PutAsync(key, "changed"u8.ToArray(), WriteCondition.None);
            }

            bool[] changed = await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.All(changed, Assert.True);
            Assert.True(store.Watches.StreamsOpened >= 2, "the waits never moved to another stream");
        }

        private static async Task<long> Sum(HttpClient client, EtcdCluster cluster, string metric)
        {
            long total = 0;
            for (int m = 0; m < cluster.ClientUrls.Count; m++)
            {
                total += await Read(client, cluster.ClientUrls[m], metric);
            }

            return total;
        }

        /// <summary>A gauge from a member's /metrics (Prometheus text: "name value").</summary>
        private static async Task<long> Read(HttpClient client, string member, string metric)
        {
            string text = await client.GetStringAsync(member + "/metrics");
            string line = text.Split('\n').Single(l => l.StartsWith(metric + " ", StringComparison.Ordinal));
            return (long)double.Parse(line.Substring(metric.Length + 1), CultureInfo.InvariantCulture);
        }

        private static async Task Until(Func<Task<bool>> condition, string what)
        {
            var waited = Stopwatch.StartNew();
            while (!await condition())
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), "not reached within 20 s: " + what);
                await Task.Delay(50);
            }
        }
    }
}
