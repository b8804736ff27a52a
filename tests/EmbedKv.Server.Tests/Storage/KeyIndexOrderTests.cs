using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using EmbedKv.Server.Storage.Index;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// The key index's ordered walk (<see cref="KeyIndex.OrderedFrom"/>) against a sorted model, over
    /// seeded runs of random inserts, removals, tombstones, Reserve, arena compaction, growth and bulk
    /// loads, with the tree's invariants checked as it goes. Its memory and allocations are in
    /// <see cref="KeyIndexOrderMemoryTests"/>.
    /// </summary>
    public sealed class KeyIndexOrderTests
    {
        private const string SeedVariable = "EMBEDKV_ORDER_SEED";
        private const string SeedCountVariable = "EMBEDKV_ORDER_SEEDS";

        private readonly ITestOutputHelper _output;

        public KeyIndexOrderTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public void WalksKeysOfEveryShapeInByteOrder()
        {
            byte[][] keys =
            [
                [],
                [0],
                [0, 0],
                [0, 0, 1],
                [0, 1],
                Encoding.ASCII.GetBytes("a"),
                [(byte)'a', 0],
                [(byte)'a', 0, 0, 0, 0, 0, 0, 0, 0, 0],
                Encoding.ASCII.GetBytes("ab"),
                Encoding.ASCII.GetBytes("abcdefghijklmnop"),
                [0x7F],
                [0x80],
                [0xFF],
                [0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                OrderModel.Filled(300, 0xFF),
                OrderModel.Filled(KeyIndex.MaxKeyLength, 0xFF),
            ];

            foreach (int nodeBytes in new[] { KeyOrder.MinNodeBytes, KeyOrder.DefaultNodeBytes })
            {
                using var index = new KeyIndex(0, 0, nodeBytes);
                var model = new OrderModel();
                for (int i = keys.Length - 1; i >= 0; i--)
                {
                    var location = new RecordLocation((uint)i, 0, 0, (ulong)i + 1, false);
                    index.Set(keys[i], location, out _);
                    model.Set(keys[i], location);
                }

                index.CheckOrder();
                foreach (byte[] start in keys)
                {
                    model.CheckWalk(index, start, true, int.MaxValue);
                    model.CheckWalk(index, start, false, int.MaxValue);
                }

                model.CheckWalk(index, [0, 0, 0], true, int.MaxValue);
                model.CheckWalk(index, OrderModel.Filled(KeyIndex.MaxKeyLength + 10, 0xFF), true, int.MaxValue);
            }
        }

        [Fact]
        public void AnEmptyIndexWalksNothing()
        {
            using var index = new KeyIndex();
            Assert.False(index.OrderedFrom([], true).MoveNext());
            index.Set([1], IndexSamples.Location(1), out _);
            index.Remove([1], out _);
            Assert.False(index.OrderedFrom([], true).MoveNext());
            index.CheckOrder();
        }

        [Fact]
        public void MatchesASortedModelOverRandomOperations()
        {
            string? replay = Environment.GetEnvironmentVariable(SeedVariable);
            if (replay != null)
            {
                RunSeed(int.Parse(replay, CultureInfo.InvariantCulture), steps: 6000);
                return;
            }

            int seeds = int.Parse(Environment.GetEnvironmentVariable(SeedCountVariable) ?? "24", CultureInfo.InvariantCulture);
            for (int seed = 1; seed <= seeds; seed++)
            {
                RunSeed(seed, steps: 6000);
            }
        }

        [Fact]
        public void BulkLoadBuildsWhatInsertsWould()
        {
            // Key sets that stress the build's sort: ties in the first 8 bytes and far beyond them, keys
            // equal but for trailing zeros, and decimal keys like the benchmark's.
            var random = new Random(7);
            var shapes = new List<(string Name, List<byte[]> Keys)>
            {
                ("decimal", Generate(20_000, i => Encoding.ASCII.GetBytes(i.ToString(CultureInfo.InvariantCulture)))),
                ("user:%08d", Generate(20_000, i => Encoding.ASCII.GetBytes("user:" + i.ToString("D8", CultureInfo.InvariantCulture)))),
                ("100-byte prefix", Generate(5_000, i => [.. OrderModel.Filled(100, 7), .. BitConverter.GetBytes(i * 2654435761u)])),
                ("zeros of every length", Generate(301, i => new byte[i])),
                ("trailing zeros", Generate(3_000, i => [.. Encoding.ASCII.GetBytes("k" + (i / 10)), .. new byte[i % 10]])),
                ("random", Generate(20_000, _ => new OrderModel().NewKey(random))),
            };

            foreach ((string name, List<byte[]> keys) in shapes)
            {
                foreach (int nodeBytes in new[] { KeyOrder.MinNodeBytes, KeyOrder.DefaultNodeBytes })
                {
                    using var index = new KeyIndex(0, 0, nodeBytes);
                    var model = new OrderModel();
                    index.BeginBulkLoad();
                    Assert.Throws<InvalidOperationException>(() => index.OrderedFrom([], true));
                    ulong sequence = 0;
                    foreach (byte[] key in Shuffled(keys, random))
                    {
                        // Some keys come twice (an older record read later), some end as tombstones.
                        var location = new RecordLocation(1, 2, 3, ++sequence, random.Next(10) == 0);
                        if (index.Set(key, location, out _) != IndexSetResult.IgnoredOlder)
                        {
                            model.Set(key, location);
                        }
                    }

                    index.RemoveTombstones();
                    model.RemoveTombstones();
                    index.EndBulkLoad();
                    Assert.False(index.OrderDeferred);
                    index.CheckOrder();
                    model.CheckWalk(index, [], true, int.MaxValue);
                    for (int i = 0; i < 200; i++)
                    {
                        model.CheckWalk(index, model.NewStart(random), random.Next(2) == 0, 40);
                    }

                    // The built tree takes inserts and removals like a grown one.
                    for (int i = 0; i < 2_000; i++)
                    {
                        byte[] key = i % 2 == 0 ? model.NewKey(random) : model.Pick(random);
                        if (model.Contains(key))
                        {
                            index.Remove(key, out _);
                            model.Remove(key);
                        }
                        else
                        {
                            index.Set(key, IndexSamples.Location(++sequence), out _);
                            model.Set(key, IndexSamples.Location(sequence));
                        }
                    }

                    index.CheckOrder();
                    model.CheckWalk(index, [], true, int.MaxValue);
                    _output.WriteLine($"{name}, {nodeBytes}-byte nodes: {keys.Count} keys bulk loaded, height {index.OrderHeight}");
                }
            }
        }

        [Fact]
        public unsafe void TheBuildsSortOrdersWordsAsArraySortDoes()
        {
            var random = new Random(3);
            foreach (int count in new[] { 0, 1, 2, 47, 48, 49, 300, 100_000 })
            {
                for (int shape = 0; shape < 3; shape++)
                {
                    // Any words; words sharing most bytes (as padded keys do); few distinct words.
                    ulong[] words = new ulong[count];
                    for (int i = 0; i < count; i++)
                    {
                        ulong word = (ulong)random.NextInt64();
                        words[i] = shape == 0 ? word : shape == 1 ? word & 0x00FF_0000_0000_FF00 : word % 5;
                    }

                    uint[] items = new uint[count];
                    for (int i = 0; i < count; i++)
                    {
                        items[i] = (uint)i;
                    }

                    ulong[] expected = (ulong[])words.Clone();
                    Array.Sort(expected);
                    ulong[] original = (ulong[])words.Clone();
                    ulong[] spareWords = new ulong[count];
                    uint[] spareItems = new uint[count];
                    fixed (ulong* w = words, sw = spareWords)
                    fixed (uint* it = items, si = spareItems)
                    {
                        WordSort.Sort(w, it, count, sw, si);
                    }

                    Assert.Equal(expected, words);
                    for (int i = 0; i < count; i++)
                    {
                        Assert.Equal(words[i], original[items[i]]);
                    }
                }
            }
        }

        [Fact]
        public void ChangesInvalidateAWalkButRelocationDoesNot()
        {
            using var index = new KeyIndex();
            for (int i = 0; i < 100; i++)
            {
                index.Set(Encoding.ASCII.GetBytes("key-" + i.ToString("D3", CultureInfo.InvariantCulture)), IndexSamples.Location((ulong)i + 1), out _);
            }

            int relocated = 0;
            foreach (KeyLocation item in index.OrderedFrom(Encoding.ASCII.GetBytes("key-050"), true))
            {
                Assert.True(index.TryRelocate(item.Key, item.Location.Sequence, 99, 0));
                relocated++;
            }

            Assert.Equal(50, relocated);
            Assert.Throws<InvalidOperationException>(() =>
            {
                foreach (KeyLocation item in index.OrderedFrom([], true))
                {
                    index.Set(Encoding.ASCII.GetBytes("new"), IndexSamples.Location(1000), out _);
                }
            });
            Assert.Throws<InvalidOperationException>(() =>
            {
                foreach (KeyLocation item in index.OrderedFrom([], true))
                {
                    index.Remove(item.Key.ToArray(), out _);
                }
            });
            Assert.Throws<InvalidOperationException>(() =>
            {
                foreach (KeyLocation item in index.OrderedFrom([], true))
                {
                    index.CompactKeys();
                }
            });
        }

        [Fact]
        public void EndBulkLoadWithoutBeginDoesNothing()
        {
            using var index = new KeyIndex();
            index.Set([1], IndexSamples.Location(1), out _);
            index.EndBulkLoad();
            Assert.False(index.OrderDeferred);
            KeyIndex.OrderedEnumerator walk = index.OrderedFrom([], true);
            Assert.True(walk.MoveNext());
            Assert.True(walk.Current.Key.SequenceEqual(new byte[] { 1 }));
            Assert.False(walk.MoveNext());
        }

        [Fact]
        public void RunsOfKeysFillTheirNodes()
        {
            // Keys arriving in order leave full nodes behind them rather than half-empty ones: appended,
            // prepended, or, as recovery inserts decimal keys ("10".."19" after "1", then "20".."29" after
            // "2", and so on), ascending between older keys. 100,000 keys in full 62-key leaves take
            // 8.5 bytes a key, the last pattern about 11.7; even splits leave about 17.
            const int Keys = 100_000;
            var orders = new (string Name, Func<int, string> Key)[]
            {
                ("ascending", n => "event:" + n.ToString("D9", CultureInfo.InvariantCulture)),
                ("descending", n => "event:" + (Keys - 1 - n).ToString("D9", CultureInfo.InvariantCulture)),
                ("ascending between older keys", n => n.ToString(CultureInfo.InvariantCulture)),
            };

            foreach ((string name, Func<int, string> key) in orders)
            {
                using var index = new KeyIndex();
                for (int n = 0; n < Keys; n++)
                {
                    index.Set(Encoding.ASCII.GetBytes(key(n)), IndexSamples.Location((ulong)n + 1), out _);
                }

                index.CheckOrder();
                double perKey = index.OrderResidentBytes / (double)Keys;
                _output.WriteLine($"{name}: {perKey:F2} bytes a key, height {index.OrderHeight}");
                Assert.InRange(perKey, 0, name.StartsWith("ascending between", StringComparison.Ordinal) ? 12.5 : 9);
            }
        }

        /// <summary>One seeded run; a failure names the seed and how to replay it.</summary>
        private void RunSeed(int seed, int steps)
        {
            var random = new Random(seed);
            int nodeBytes = seed % 4 == 0 ? KeyOrder.DefaultNodeBytes : seed % 4 == 1 ? 128 : KeyOrder.MinNodeBytes;
            var history = new Queue<string>();
            int step = 0;
            try
            {
                using var index = new KeyIndex(0, 0, nodeBytes);
                var model = new OrderModel();
                ulong sequence = 0;
                int bulkUntil = -1;
                int mostKeys = 0;
                int tallest = 0;
                for (step = 0; step < steps; step++)
                {
                    string done = Step(index, model, random, ref sequence, ref bulkUntil, step);
                    mostKeys = Math.Max(mostKeys, model.Count);
                    tallest = Math.Max(tallest, index.OrderHeight);
                    history.Enqueue(done);
                    if (history.Count > 12)
                    {
                        history.Dequeue();
                    }

                    if (step % 20 == 19 && !index.OrderDeferred)
                    {
                        index.CheckOrder();
                        for (int i = 0; i < 3; i++)
                        {
                            model.CheckWalk(index, model.NewStart(random), random.Next(2) == 0, random.Next(2) == 0 ? 30 : int.MaxValue);
                        }
                    }
                }

                if (index.OrderDeferred)
                {
                    index.EndBulkLoad();
                }

                index.CheckOrder();
                model.CheckWalk(index, [], true, int.MaxValue);
                Assert.Equal(model.Count, index.Count);
                _output.WriteLine($"seed {seed}, {nodeBytes}-byte nodes: up to {mostKeys} keys and {tallest} levels, {model.Count} at the end");
            }
            catch (Exception e)
            {
                throw new XunitException(
                    $"Seed {seed} ({nodeBytes}-byte nodes) failed at step {step}. Replay it with{Environment.NewLine}" +
                    $"  {SeedVariable}={seed} dotnet test tests/EmbedKv.Server.Tests --filter FullyQualifiedName~KeyIndexOrderTests.MatchesASortedModel{Environment.NewLine}" +
                    $"Last steps: {string.Join("; ", history)}{Environment.NewLine}{e}");
            }
        }

        private static string Step(KeyIndex index, OrderModel model, Random random, ref ulong sequence, ref int bulkUntil, int step)
        {
            if (bulkUntil == step)
            {
                index.RemoveTombstones();
                model.RemoveTombstones();
                index.EndBulkLoad();
                bulkUntil = -1;
                return "end bulk load";
            }

            int choice = random.Next(100);
            if (choice < 40 || model.Count == 0)
            {
                byte[] key = model.NewKey(random);
                var location = new RecordLocation((uint)random.Next(8), (uint)random.Next(1000), (uint)random.Next(100), ++sequence, random.Next(12) == 0);
                index.Set(key, location, out _);
                model.Set(key, location);
                return "set " + OrderModel.Show(key);
            }

            if (choice < 48)
            {
                // Replace in place (newer) or not at all (older): no structural change.
                byte[] key = model.Pick(random);
                bool newer = random.Next(2) == 0;
                var location = new RecordLocation(3, 4, 5, newer ? ++sequence : 0, false);
                index.Set(key, location, out _);
                if (newer)
                {
                    model.Set(key, location);
                }

                return "replace " + OrderModel.Show(key);
            }

            if (choice < 78)
            {
                byte[] key = random.Next(5) == 0 ? model.NewKey(random) : model.Pick(random);
                Assert.Equal(model.Contains(key), index.Remove(key, out _));
                model.Remove(key);
                return "remove " + OrderModel.Show(key);
            }

            if (choice < 83)
            {
                // A run of neighbours in order: whole leaves and subtrees empty, merge and collapse.
                byte[] start = model.Pick(random);
                int count = random.Next(1, 300);
                List<byte[]> doomed = model.Run(start, count);
                foreach (byte[] key in doomed)
                {
                    Assert.True(index.Remove(key, out _));
                    model.Remove(key);
                }

                return "remove " + doomed.Count + " from " + OrderModel.Show(start);
            }

            if (choice < 88)
            {
                // A run of ascending or descending keys under one prefix: appends and prepends.
                byte[] prefix = model.NewKey(random);
                bool descending = random.Next(2) == 0;
                int count = random.Next(1, 200);
                for (int i = 0; i < count; i++)
                {
                    int n = descending ? count - i : i;
                    byte[] key = [.. prefix, (byte)(n >> 8), (byte)n];
                    var location = IndexSamples.Location(++sequence);
                    index.Set(key, location, out _);
                    model.Set(key, location);
                }

                return (descending ? "descending " : "ascending ") + count + " under " + OrderModel.Show(prefix);
            }

            if (choice < 91)
            {
                index.RemoveTombstones();
                model.RemoveTombstones();
                return "remove tombstones";
            }

            if (choice < 93)
            {
                index.CompactKeys();
                return "compact keys";
            }

            if (choice < 95)
            {
                int more = random.Next(1, 3000);
                index.Reserve(index.Count + more, index.LiveKeyBytes + (more * 40L));
                return "reserve " + more;
            }

            if (choice < 97 && bulkUntil < 0)
            {
                index.BeginBulkLoad();
                bulkUntil = step + random.Next(1, 400);
                return "begin bulk load until " + bulkUntil;
            }

            if (!index.OrderDeferred && model.Count > 0)
            {
                // A walk that relocates what it passes, which must not disturb it.
                int relocated = 0;
                foreach (KeyLocation item in index.OrderedFrom(model.NewStart(random), true))
                {
                    Assert.True(index.TryRelocate(item.Key, item.Location.Sequence, 7, (uint)relocated));
                    model.Set(item.Key.ToArray(), item.Location with { Segment = 7, Offset = (uint)relocated });
                    if (++relocated == 20)
                    {
                        break;
                    }
                }

                return "relocate " + relocated;
            }

            return "nothing";
        }

        private static List<byte[]> Generate(int count, Func<int, byte[]> make)
        {
            var keys = new List<byte[]>(count);
            var seen = new HashSet<string>();
            for (int i = 0; i < count; i++)
            {
                byte[] key = make(i);
                if (seen.Add(Convert.ToHexString(key)))
                {
                    keys.Add(key);
                }
            }

            return keys;
        }

        private static List<byte[]> Shuffled(List<byte[]> keys, Random random)
        {
            var copy = new List<byte[]>(keys);
            for (int i = copy.Count - 1; i > 0; i--)
            {
                int j = random.Next(i + 1);
                (copy[i], copy[j]) = (copy[j], copy[i]);
            }

            // Now and then a key twice: recovery reads an older record of a key after a newer one.
            for (int i = 0; i < copy.Count; i += 50)
            {
                copy.Add(copy[i]);
            }

            return copy;
        }
    }
}
