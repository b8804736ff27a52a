using System;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Linq;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Etcd.Tests.Infrastructure;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Storage;

namespace EmbedKv.Etcd.Tests.Backend
{
    /// <summary>
    /// Killing the etcd leader under a stream of conditional writes from two instances: every write answered
    /// as done is there afterwards, through both instances. A cluster of its own: the shared one is not killed.
    /// </summary>
    public sealed class FailoverTests
    {
        [Fact]
        public async Task Killing_the_leader_loses_no_acknowledged_conditional_write()
        {
            using EtcdCluster cluster = EtcdCluster.Start(3);
            using EtcdStore a = Stores.Connect(cluster.ClientUrls, TimeSpan.FromSeconds(5));
            using EtcdStore b = Stores.Connect(cluster.ClientUrls.Reverse().ToArray(), TimeSpan.FromSeconds(5));
            byte[] prefix = Stores.UniqueKey("failover/");

            // Create-only writes of distinct keys, each value naming its writer: an acknowledged one must be
            // there with that value. A 412 is possible only if an earlier attempt of the same write was applied
            // and its answer lost in the failover (gRPC retried it), so the key must then hold that value too.
            var acknowledged = new ConcurrentDictionary<string, (byte[] Value, ulong Version)>();
            var ambiguous = new ConcurrentDictionary<string, byte[]>();
            int unavailable = 0;
            using var stop = new CancellationTokenSource();
            int next = 0;
            Task[] writers = Enumerable.Range(0, 8).Select(w => Task.Run(async () =>
            {
                EtcdStore store = w % 2 == 0 ? a : b;
                while (!stop.IsCancellationRequested)
                {
                    string name = Interlocked.Increment(ref next).ToString("D6");
                    byte[] key = prefix.Concat(Encoding.ASCII.GetBytes(name)).ToArray();
                    byte[] value = Encoding.ASCII.GetBytes("writer " + w + " key " + name);
                    try
                    {
                        WriteResult result = await store.PutAsync(key, value, WriteCondition.IfAbsent);
                        if (result.Outcome == WriteOutcome.Created)
                        {
                            acknowledged[name] = (value, result.Version);
                        }
                        else
                        {
                            Assert.Equal(WriteOutcome.PreconditionFailed, result.Outcome);
                            ambiguous[name] = value;
                        }
                    }
                    catch (EtcdUnavailableException)
                    {
                        Interlocked.Increment(ref unavailable); // unknown: applied or not, nothing is claimed
                    }
                }
            })).ToArray();

            // Writes flowing first (on a busy machine the first connections take a while), then the kill.
            var warmup = Stopwatch.StartNew();
            while (acknowledged.Count < 50 && warmup.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(20);
            }

            int before = acknowledged.Count;
            int leader = cluster.Leader();
            cluster.Kill(leader);
            var failover = Stopwatch.StartNew();
            int atKill = acknowledged.Count;
            while (acknowledged.Count < atKill + 200 && failover.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            TimeSpan resumed = failover.Elapsed;
            cluster.Restart(leader);
            await Task.Delay(500);
            stop.Cancel();
            await Task.WhenAll(writers);

            Assert.True(before > 0, "no write was acknowledged before the kill");
            Assert.True(acknowledged.Count >= atKill + 200, "writes did not resume within 30 s of killing the leader (" + (acknowledged.Count - atKill) + " after it)");
            foreach ((string name, (byte[] value, ulong version)) in acknowledged)
            {
                byte[] key = prefix.Concat(Encoding.ASCII.GetBytes(name)).ToArray();
                foreach (EtcdStore store in new[] { a, b })
                {
                    BackendValue? read = (await store.GetAsync(key)).Value;
                    Assert.True(read is not null, "acknowledged write " + name + " is missing after the failover");
                    Assert.Equal(value, read!.Value);
                    Assert.Equal(version, read.Info.Version);
                }
            }

            foreach ((string name, byte[] value) in ambiguous)
            {
                BackendValue? read = (await a.GetAsync(prefix.Concat(Encoding.ASCII.GetBytes(name)).ToArray())).Value;
                Assert.True(read is not null && read.Value.SequenceEqual(value), "write " + name + " was refused with 412 but is not there");
            }

            // Every key under the prefix is one some writer sent: nothing appeared that no one wrote.
            EtcdListing listed = await b.ListAsync(prefix, ReadOnlyMemory<byte>.Empty, 1_000_000);
            Assert.True(listed.Keys.Count >= acknowledged.Count + ambiguous.Count);
            Assert.True(listed.Keys.Count <= acknowledged.Count + ambiguous.Count + unavailable);
            Assert.True(resumed < TimeSpan.FromSeconds(30));
        }
    }
}
