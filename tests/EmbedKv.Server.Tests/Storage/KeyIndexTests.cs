using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using System.Text;
using EmbedKv.Server.Storage.Index;
using static EmbedKv.Server.Tests.Storage.IndexSamples;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// The native key index's rules: how keys of every shape are told apart, replace-if-newer, tombstones,
    /// removal by backward shift and relocation, checked against a Dictionary over many random operations
    /// (also with every key forced into one wrapping probe run). Its memory is in <see cref="KeyIndexGrowthTests"/>.
    /// </summary>
    public sealed class KeyIndexTests
    {
        // Sets most hash bits, so every key lands in one of 8 hashes whose home is the table's last slot:
        // every probe run is long and wraps around to slot 0.
        private const uint AllKeysCollide = 0xFFFF_FFF8;

        [Fact]
        public void EntriesAreThirtyTwoBytes() => Assert.Equal(32, Unsafe.SizeOf<IndexEntry>());

        [Fact]
        public void PackedKeyFieldsDoNotDisturbEachOther()
        {
            var entry = default(IndexEntry);
            entry.KeyOffset = IndexEntry.MaxKeyOffset;
            entry.KeyLength = ushort.MaxValue;
            entry.Flags = IndexEntry.TombstoneFlag;
            Assert.Equal(IndexEntry.MaxKeyOffset, entry.KeyOffset);
            Assert.Equal(ushort.MaxValue, entry.KeyLength);
            Assert.Equal(IndexEntry.TombstoneFlag, entry.Flags);
            entry.KeyOffset = 12345;
            entry.KeyLength = 7;
            Assert.Equal(12345ul, entry.KeyOffset);
            Assert.Equal(7, entry.KeyLength);
            Assert.Equal(IndexEntry.TombstoneFlag, entry.Flags);
        }

        [Fact]
        public void RoundTripsKeysOfEveryShape()
        {
            using var index = new KeyIndex();
            byte[][] keys =
            [
                [],
                [0],
                [0, 0],
                Encoding.ASCII.GetBytes("ab"),
                Encoding.ASCII.GetBytes("abc"),
                Filled(1023, 7),
                Filled(1024, 7),
                Filled(1024, 8),
                Filled(KeyIndex.MaxKeyLength, 9),
            ];

            for (int i = 0; i < keys.Length; i++)
            {
                var location = new RecordLocation((uint)i, (uint)(i * 100), (uint)(i * 7), (ulong)(i + 1), Tombstone: i == 2);
                Assert.Equal(IndexSetResult.Inserted, index.Set(keys[i], location, out RecordLocation previous));
                Assert.Equal(default, previous);
            }

            Assert.Equal(keys.Length, index.Count);
            long keyBytes = 0;
            for (int i = 0; i < keys.Length; i++)
            {
                Assert.True(index.TryGet(keys[i], out RecordLocation location));
                Assert.Equal(new RecordLocation((uint)i, (uint)(i * 100), (uint)(i * 7), (ulong)(i + 1), i == 2), location);
                keyBytes += keys[i].Length;
            }

            Assert.Equal(keyBytes, index.LiveKeyBytes);
            Assert.False(index.TryGet(Encoding.ASCII.GetBytes("abd"), out _));
            Assert.False(index.TryGet(Filled(1025, 7), out _));
        }

        [Fact]
        public void KeysDifferingOnlyInATrailingZeroAreDistinct()
        {
            // Marvin sees bytes in pairs: "ab" and "ab\0" are the same pairs and need the odd byte mixed in.
            byte[] even = Encoding.ASCII.GetBytes("ab");
            byte[] odd = [(byte)'a', (byte)'b', 0];
            Assert.NotEqual(KeyHash.Compute(even), KeyHash.Compute(odd));
            Assert.Equal(KeyHash.Compute(odd), KeyHash.Compute((byte[])odd.Clone()));

            using var index = new KeyIndex();
            index.Set(even, Location(1), out _);
            index.Set(odd, Location(2), out _);
            Assert.True(index.TryGet(even, out RecordLocation a));
            Assert.True(index.TryGet(odd, out RecordLocation b));
            Assert.Equal(1ul, a.Sequence);
            Assert.Equal(2ul, b.Sequence);
        }

        [Fact]
        public void RejectsKeysLongerThanSixteenBits()
        {
            using var index = new KeyIndex();
            Assert.Throws<ArgumentException>(() => index.Set(new byte[KeyIndex.MaxKeyLength + 1], Location(1), out _));
            Assert.False(index.TryGet(new byte[KeyIndex.MaxKeyLength + 1], out _));
            Assert.Equal(0, index.Count);
        }

        [Fact]
        public void ReplacesOnlyWithAHigherSequence()
        {
            using var index = new KeyIndex();
            byte[] key = Encoding.ASCII.GetBytes("key");
            var five = new RecordLocation(1, 10, 100, 5, false);

            Assert.Equal(IndexSetResult.Inserted, index.Set(key, five, out _));
            Assert.Equal(IndexSetResult.IgnoredOlder, index.Set(key, new RecordLocation(2, 20, 200, 4, false), out RecordLocation previous));
            Assert.Equal(five, previous);

            // An equal sequence is the same record read again (a second recovery pass, say): nothing changes.
            Assert.Equal(IndexSetResult.IgnoredOlder, index.Set(key, new RecordLocation(3, 30, 300, 5, false), out previous));
            Assert.Equal(five, previous);
            Assert.True(index.TryGet(key, out RecordLocation current));
            Assert.Equal(five, current);

            var six = new RecordLocation(4, 40, 400, 6, false);
            Assert.Equal(IndexSetResult.Replaced, index.Set(key, six, out previous));
            Assert.Equal(five, previous);
            Assert.True(index.TryGet(key, out current));
            Assert.Equal(six, current);
            Assert.Equal(1, index.Count);
        }

        [Fact]
        public void TombstonesOutrankOlderPutsUntilTheyAreDropped()
        {
            using var index = new KeyIndex();
            byte[] deleted = Encoding.ASCII.GetBytes("deleted");
            byte[] revived = Encoding.ASCII.GetBytes("revived");
            byte[] kept = Encoding.ASCII.GetBytes("kept");

            // Recovery reads a newer segment first: the delete, then the older put it deleted.
            index.Set(deleted, new RecordLocation(2, 0, 0, 10, Tombstone: true), out _);
            Assert.Equal(IndexSetResult.IgnoredOlder, index.Set(deleted, new RecordLocation(1, 0, 5, 3, false), out RecordLocation previous));
            Assert.True(previous.Tombstone);

            // A put newer than a delete revives the key.
            index.Set(revived, new RecordLocation(1, 0, 0, 4, Tombstone: true), out _);
            Assert.Equal(IndexSetResult.Replaced, index.Set(revived, new RecordLocation(2, 64, 5, 11, false), out previous));
            Assert.True(previous.Tombstone);

            index.Set(kept, new RecordLocation(2, 128, 5, 12, false), out _);
            Assert.Equal(3, index.Count);

            Assert.Equal(1, index.RemoveTombstones());
            Assert.Equal(2, index.Count);
            Assert.False(index.TryGet(deleted, out _));
            Assert.True(index.TryGet(revived, out RecordLocation location));
            Assert.Equal(11ul, location.Sequence);
            Assert.True(index.TryGet(kept, out _));
            Assert.Equal(revived.Length + kept.Length, index.LiveKeyBytes);
            Assert.Equal(0, index.RemoveTombstones());
        }

        [Fact]
        public void RemoveReturnsTheLocationAndForgetsTheKey()
        {
            using var index = new KeyIndex();
            byte[] key = Encoding.ASCII.GetBytes("gone");
            var location = new RecordLocation(7, 8, 9, 10, false);
            index.Set(key, location, out _);

            Assert.True(index.Remove(key, out RecordLocation previous));
            Assert.Equal(location, previous);
            Assert.False(index.TryGet(key, out _));
            Assert.False(index.Remove(key, out previous));
            Assert.Equal(default, previous);
            Assert.Equal(0, index.Count);
            Assert.Equal(0, index.LiveKeyBytes);

            // The freed entry is reused, and the key can come back.
            Assert.Equal(IndexSetResult.Inserted, index.Set(key, Location(11), out _));
            Assert.True(index.TryGet(key, out RecordLocation again));
            Assert.Equal(11ul, again.Sequence);
        }

        [Fact]
        public void RelocatesOnlyTheRecordThatWasCopied()
        {
            using var index = new KeyIndex();
            byte[] key = Encoding.ASCII.GetBytes("moved");
            index.Set(key, new RecordLocation(1, 100, 50, 7, false), out _);

            // A write landed after the merge copied sequence 6: the merge must not point the key back.
            Assert.False(index.TryRelocate(key, 6, 9, 0));
            Assert.True(index.TryRelocate(key, 7, 9, 24));
            Assert.True(index.TryGet(key, out RecordLocation location));
            Assert.Equal(new RecordLocation(9, 24, 50, 7, false), location);
            Assert.False(index.TryRelocate(Encoding.ASCII.GetBytes("absent"), 7, 9, 0));
        }

        [Theory]
        [InlineData(0u, 1000, 200_000)]
        [InlineData(AllKeysCollide, 500, 200_000)]
        public void MatchesADictionaryOverRandomOperations(uint collisionBits, int keySpace, int operations)
        {
            var random = new Random(unchecked((int)(collisionBits ^ 12345)));
            string[] names = new string[keySpace];
            byte[][] keys = new byte[keySpace][];
            for (int i = 0; i < keySpace; i++)
            {
                // Lengths 0 to 12, odd and even; key 0 is the empty key.
                names[i] = i == 0 ? string.Empty : "k" + i.ToString("x") + new string('.', i % 7);
                keys[i] = Encoding.ASCII.GetBytes(names[i]);
            }

            var model = new Dictionary<string, RecordLocation>();
            using var index = new KeyIndex(0, collisionBits);
            ulong sequence = 0;
            for (int op = 1; op <= operations; op++)
            {
                int k = random.Next(keySpace);
                byte[] key = keys[k];
                bool present = model.TryGetValue(names[k], out RecordLocation expected);
                int choice = random.Next(1000);
                if (choice < 450)
                {
                    // Mostly new sequences; one in five reuses an old one, which may be older, equal or newer.
                    ulong s = random.Next(5) == 0 && sequence > 0 ? (ulong)random.NextInt64(1, (long)sequence + 1) : ++sequence;
                    var location = new RecordLocation((uint)random.Next(100), (uint)random.Next(), (uint)random.Next(1000), s, random.Next(10) == 0);
                    IndexSetResult result = index.Set(key, location, out RecordLocation previous);
                    if (!present)
                    {
                        Assert.Equal(IndexSetResult.Inserted, result);
                        model[names[k]] = location;
                    }
                    else if (s > expected.Sequence)
                    {
                        Assert.Equal(IndexSetResult.Replaced, result);
                        Assert.Equal(expected, previous);
                        model[names[k]] = location;
                    }
                    else
                    {
                        Assert.Equal(IndexSetResult.IgnoredOlder, result);
                        Assert.Equal(expected, previous);
                    }
                }
                else if (choice < 700)
                {
                    Assert.Equal(present, index.Remove(key, out RecordLocation previous));
                    Assert.Equal(present ? expected : default, previous);
                    model.Remove(names[k]);
                }
                else if (choice < 900)
                {
                    Assert.Equal(present, index.TryGet(key, out RecordLocation found));
                    Assert.Equal(present ? expected : default, found);
                }
                else if (choice < 997)
                {
                    ulong guess = present && random.Next(2) == 0 ? expected.Sequence : (ulong)random.NextInt64(1, (long)sequence + 2);
                    uint segment = (uint)random.Next(100, 200);
                    bool relocates = present && guess == expected.Sequence;
                    Assert.Equal(relocates, index.TryRelocate(key, guess, segment, 42));
                    if (relocates)
                    {
                        model[names[k]] = expected with { Segment = segment, Offset = 42 };
                    }
                }
                else if (choice < 999)
                {
                    int tombstones = 0;
                    foreach (KeyValuePair<string, RecordLocation> pair in new List<KeyValuePair<string, RecordLocation>>(model))
                    {
                        if (pair.Value.Tombstone)
                        {
                            model.Remove(pair.Key);
                            tombstones++;
                        }
                    }

                    Assert.Equal(tombstones, index.RemoveTombstones());
                }
                else
                {
                    index.CompactKeys();
                }

                if (op % 10_000 == 0 || op == operations)
                {
                    AssertSame(model, names, keys, index);
                }
            }
        }

        private static void AssertSame(Dictionary<string, RecordLocation> model, string[] names, byte[][] keys, KeyIndex index)
        {
            Assert.Equal(model.Count, index.Count);
            long keyBytes = 0;
            for (int i = 0; i < names.Length; i++)
            {
                bool present = model.TryGetValue(names[i], out RecordLocation expected);
                Assert.Equal(present, index.TryGet(keys[i], out RecordLocation actual));
                Assert.Equal(present ? expected : default, actual);
                keyBytes += present ? keys[i].Length : 0;
            }

            Assert.Equal(keyBytes, index.LiveKeyBytes);
            int enumerated = 0;
            foreach ((ReadOnlySpan<byte> key, RecordLocation location) in index)
            {
                Assert.Equal(model[Encoding.ASCII.GetString(key)], location);
                enumerated++;
            }

            Assert.Equal(model.Count, enumerated);
        }

        private static byte[] Filled(int length, byte value)
        {
            byte[] bytes = new byte[length];
            Array.Fill(bytes, value);
            bytes[0] = (byte)(length & 0xFF); // so that keys of one fill but different lengths also differ in content
            return bytes;
        }
    }
}
