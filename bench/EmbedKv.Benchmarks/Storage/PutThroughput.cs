using System;
using System.Diagnostics;
using System.IO;
using System.Threading;
using EmbedKv.Server.Storage;

namespace EmbedKv.Benchmarks.Storage
{
    /// <summary>Puts of 64-byte values to random keys from N threads for a fixed time.</summary>
    internal static class PutThroughput
    {
        public static double OpsPerSecond(string root, string durability, int writers, double seconds)
        {
            string dir = Path.Combine(root, "put-" + Guid.NewGuid().ToString("N"));
            Durability.TryParse(durability, out Durability mode);
            long total = 0;
            double elapsed;
            using (KvStore store = KvStore.Open(new StoreOptions { DataDirectory = dir, Durability = mode, AutomaticCompaction = false }))
            {
                using var start = new ManualResetEventSlim();
                var stop = new CancellationTokenSource();
                var threads = new Thread[writers];
                var counts = new long[writers];
                for (int i = 0; i < writers; i++)
                {
                    int id = i;
                    threads[i] = new Thread(() =>
                    {
                        var random = new Random(id);
                        Span<byte> key = stackalloc byte[16];
                        Span<byte> value = stackalloc byte[64];
                        random.NextBytes(value);
                        start.Wait();
                        long n = 0;
                        while (!stop.IsCancellationRequested)
                        {
                            // 100,000 random keys, as the HTTP benchmark's POST cell uses.
                            random.Next(100_000).TryFormat(key, out int length);
                            store.Put(key.Slice(0, length), value);
                            n++;
                        }

                        counts[id] = n;
                    })
                    { IsBackground = true };
                    threads[i].Start();
                }

                var clock = Stopwatch.StartNew();
                start.Set();
                Thread.Sleep(TimeSpan.FromSeconds(seconds));
                stop.Cancel();
                foreach (Thread thread in threads)
                {
                    thread.Join();
                }

                elapsed = clock.Elapsed.TotalSeconds;
                foreach (long n in counts)
                {
                    total += n;
                }
            }

            Directory.Delete(dir, recursive: true);
            return total / elapsed;
        }
    }
}
