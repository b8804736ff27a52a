using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using EmbedKv.Server.Storage;

namespace EmbedKv.Benchmarks.Storage
{
    /// <summary>Figures of opening a large store.</summary>
    internal sealed record RecoveryFigures(int Keys, List<double> OpenSeconds, double IndexBytesPerKey, double ResidentBytesPerKey);

    /// <summary>Times the recovery of a store of N keys and measures the index's memory.</summary>
    internal static class RecoveryBench
    {
        public static RecoveryFigures Measure(string root, int keys, int rounds)
        {
            string dir = Path.Combine(root, "recovery");
            var options = new StoreOptions { DataDirectory = dir, Durability = Durability.None, AutomaticCompaction = false, SegmentSize = 256L << 20 };
            using (KvStore store = KvStore.Open(options))
            {
                Span<byte> key = stackalloc byte[16];
                Span<byte> value = stackalloc byte[64];
                for (int i = 0; i < keys; i++)
                {
                    key.Clear();
                    i.TryFormat(key, out _);
                    store.Put(key, value);
                }
            }

            var seconds = new List<double>();
            double indexPerKey = 0, residentPerKey = 0;
            for (int round = 0; round < rounds; round++)
            {
                GC.Collect();
                long residentBefore = MachineInfo.ResidentBytes();
                var clock = Stopwatch.StartNew();
                using KvStore store = KvStore.Open(options);
                seconds.Add(clock.Elapsed.TotalSeconds);
                long residentAfter = MachineInfo.ResidentBytes();
                indexPerKey = (double)store.IndexBytes / store.Count;
                residentPerKey = ((double)(residentAfter - residentBefore) / store.Count) - 16;
            }

            return new RecoveryFigures(keys, seconds, indexPerKey, residentPerKey);
        }
    }
}
