using System;
using System.Collections.Generic;
using System.Diagnostics;
using EmbedKv.Server.Storage.Index;

namespace EmbedKv.Benchmarks.Storage
{
    /// <summary>Figures of the ordered key index at N keys (times in seconds unless named otherwise).</summary>
    internal sealed record OrderedIndexFigures(
        int Keys,
        List<double> LoadSeconds,
        List<double> BuildSeconds,
        List<double> OneByOneSeconds,
        List<double> PageMilliseconds,
        double OrderResidentPerKey,
        double OrderReservedPerKey,
        double IndexResidentPerKey,
        List<double> InsertNanosecondsUnordered,
        List<double> InsertNanosecondsOrdered,
        List<double> RemoveNanosecondsUnordered,
        List<double> RemoveNanosecondsOrdered);

    /// <summary>
    /// The ordered key index measured on the index itself, with the keys of <see cref="RecoveryBench"/>
    /// (16 bytes: a decimal number, then zeros), in the order recovery reads them: loading them the way
    /// recovery does (ordering deferred, then one bulk build) against inserting them one by one, a
    /// 1000-key page from a random key, the memory per key, and the cost of inserting and removing keys
    /// with and without the tree (without it is the index as it was before).
    /// </summary>
    internal static class OrderedIndexBench
    {
        private const int PageKeys = 1000;
        private const int Pages = 2000;

        public static OrderedIndexFigures Measure(int keys, int rounds)
        {
            byte[] flat = Keys(keys + (keys / 5));
            var load = new List<double>();
            var build = new List<double>();
            var oneByOne = new List<double>();
            var pages = new List<double>();
            var insertUnordered = new List<double>();
            var insertOrdered = new List<double>();
            var removeUnordered = new List<double>();
            var removeOrdered = new List<double>();
            double orderResident = 0, orderReserved = 0, indexResident = 0;
            for (int round = 0; round < rounds; round++)
            {
                using (var index = new KeyIndex())
                {
                    var clock = Stopwatch.StartNew();
                    index.BeginBulkLoad();
                    for (int i = 0; i < keys; i++)
                    {
                        index.Set(Key(flat, i), new RecordLocation(1, (uint)i, 64, (ulong)i + 1, false), out _);
                    }

                    index.RemoveTombstones();
                    load.Add(clock.Elapsed.TotalSeconds);
                    clock.Restart();
                    index.EndBulkLoad();
                    build.Add(clock.Elapsed.TotalSeconds);

                    orderResident = index.OrderResidentBytes / (double)keys;
                    orderReserved = index.OrderBytes / (double)keys;
                    indexResident = (index.ResidentEstimate - index.LiveKeyBytes) / (double)keys;
                    pages.AddRange(PageTimes(index, flat, keys, round));
                    (double insert, double remove) = Churn(index, flat, keys, round);
                    insertOrdered.Add(insert);
                    removeOrdered.Add(remove);
                    index.BeginBulkLoad(); // Ordering off: the hash table alone, as before the tree.
                    (insert, remove) = Churn(index, flat, keys, round);
                    insertUnordered.Add(insert);
                    removeUnordered.Add(remove);
                }

                using (var index = new KeyIndex())
                {
                    var clock = Stopwatch.StartNew();
                    for (int i = 0; i < keys; i++)
                    {
                        index.Set(Key(flat, i), new RecordLocation(1, (uint)i, 64, (ulong)i + 1, false), out _);
                    }

                    oneByOne.Add(clock.Elapsed.TotalSeconds);
                }

                Console.Error.WriteLine("ordered index round " + (round + 1) + ": load " + load[^1].ToString("F3") + " s, build " + build[^1].ToString("F3")
                    + " s, one by one " + oneByOne[^1].ToString("F3") + " s, insert " + insertUnordered[^1].ToString("F0") + " -> " + insertOrdered[^1].ToString("F0")
                    + " ns, remove " + removeUnordered[^1].ToString("F0") + " -> " + removeOrdered[^1].ToString("F0") + " ns");
            }

            return new OrderedIndexFigures(keys, load, build, oneByOne, pages, orderResident, orderReserved, indexResident,
                insertUnordered, insertOrdered, removeUnordered, removeOrdered);
        }

        /// <summary>Pages from random keys: seek, walk 1000 keys, copy each key out.</summary>
        private static List<double> PageTimes(KeyIndex index, byte[] flat, int keys, int seed)
        {
            var random = new Random(seed);
            byte[] page = new byte[PageKeys * 16];
            var times = new List<double>(Pages);
            long checksum = 0;
            for (int p = 0; p < Pages; p++)
            {
                ReadOnlySpan<byte> start = Key(flat, random.Next(keys));
                long began = Stopwatch.GetTimestamp();
                int copied = 0;
                foreach ((ReadOnlySpan<byte> key, RecordLocation _) in index.OrderedFrom(start, true))
                {
                    key.CopyTo(page.AsSpan(copied * 16));
                    if (++copied == PageKeys)
                    {
                        break;
                    }
                }

                times.Add(Stopwatch.GetElapsedTime(began).TotalMilliseconds);
                checksum += copied + page[0];
            }

            GC.KeepAlive(checksum);
            return times;
        }

        /// <summary>Inserts keys/5 new keys and removes them again, each in random order: nanoseconds per insert and per removal.</summary>
        private static (double Insert, double Remove) Churn(KeyIndex index, byte[] flat, int keys, int seed)
        {
            int extra = keys / 5;
            int[] order = new int[extra];
            for (int i = 0; i < extra; i++)
            {
                order[i] = keys + i;
            }

            var random = new Random(seed + 100);
            random.Shuffle(order);
            long began = Stopwatch.GetTimestamp();
            foreach (int i in order)
            {
                index.Set(Key(flat, i), new RecordLocation(2, (uint)i, 64, (ulong)(keys + i + 1), false), out _);
            }

            double insert = Stopwatch.GetElapsedTime(began).TotalNanoseconds / extra;
            random.Shuffle(order);
            began = Stopwatch.GetTimestamp();
            foreach (int i in order)
            {
                index.Remove(Key(flat, i), out _);
            }

            return (insert, Stopwatch.GetElapsedTime(began).TotalNanoseconds / extra);
        }

        /// <summary>RecoveryBench's keys: 16 bytes each, the decimal number, then zeros.</summary>
        private static byte[] Keys(int count)
        {
            byte[] flat = new byte[count * 16];
            for (int i = 0; i < count; i++)
            {
                i.TryFormat(flat.AsSpan(i * 16, 16), out _);
            }

            return flat;
        }

        private static ReadOnlySpan<byte> Key(byte[] flat, int i) => flat.AsSpan(i * 16, 16);
    }
}
