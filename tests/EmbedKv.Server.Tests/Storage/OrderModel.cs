using System;
using System.Collections.Generic;
using System.Text;
using EmbedKv.Server.Storage.Index;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// What a <see cref="KeyIndex"/> should hold, kept in a <see cref="SortedSet{T}"/> ordered by
    /// <see cref="MemoryExtensions.SequenceCompareTo{T}(ReadOnlySpan{T}, ReadOnlySpan{T})"/>, and the
    /// comparison of the index's ordered walk against it. Also makes the awkward keys the ordered tests
    /// feed it: lengths 0 to 300, shared prefixes longer than a head or a sort word, the bytes 0x00 and
    /// 0xFF, and keys that differ only in trailing zero bytes.
    /// </summary>
    internal sealed class OrderModel
    {
        private static readonly byte[][] Prefixes =
        [
            [],
            Encoding.ASCII.GetBytes("user:"),
            Encoding.ASCII.GetBytes("user:0000"),
            Encoding.ASCII.GetBytes("tenant/acme-corporation/objects/2026/"),
            new byte[200],
            Filled(120, 0xFF),
            Filled(12, 0x00),
            Filled(9, 0xFF),
            [0x00],
            [0xFF],
            Encoding.ASCII.GetBytes("ab"),
        ];

        private static readonly byte[] Alphabet = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, (byte)'a', (byte)'b', (byte)'c'];

        private readonly SortedSet<byte[]> _order = new SortedSet<byte[]>(ByteOrder.Instance);
        private readonly Dictionary<string, RecordLocation> _locations = new Dictionary<string, RecordLocation>();

        public int Count => _order.Count;

        public IReadOnlyCollection<byte[]> Keys => _order;

        public static byte[] Filled(int length, byte value)
        {
            byte[] bytes = new byte[length];
            bytes.AsSpan().Fill(value);
            return bytes;
        }

        public bool Contains(byte[] key) => _locations.ContainsKey(Convert.ToHexString(key));

        public RecordLocation LocationOf(byte[] key) => _locations[Convert.ToHexString(key)];

        public void Set(byte[] key, RecordLocation location)
        {
            _order.Add(key);
            _locations[Convert.ToHexString(key)] = location;
        }

        public void Remove(byte[] key)
        {
            _order.Remove(key);
            _locations.Remove(Convert.ToHexString(key));
        }

        public void RemoveTombstones()
        {
            var dead = new List<byte[]>();
            foreach (byte[] key in _order)
            {
                if (LocationOf(key).Tombstone)
                {
                    dead.Add(key);
                }
            }

            foreach (byte[] key in dead)
            {
                Remove(key);
            }
        }

        /// <summary>A random key of any of the shapes above.</summary>
        public byte[] NewKey(Random random)
        {
            int shape = random.Next(10);
            if (shape < 2 && _order.Count > 0)
            {
                // A neighbour of a key held: with trailing zeros, cut short, or its last byte moved by one.
                byte[] near = Pick(random);
                switch (random.Next(3))
                {
                    case 0:
                        return [.. near, .. new byte[random.Next(1, 4)]];
                    case 1:
                        return near.AsSpan(0, random.Next(near.Length + 1)).ToArray();
                    default:
                        byte[] changed = (byte[])near.Clone();
                        if (changed.Length > 0)
                        {
                            changed[^1] = (byte)(changed[^1] + (random.Next(2) == 0 ? 1 : -1));
                        }

                        return changed;
                }
            }

            byte[] prefix = Prefixes[random.Next(Prefixes.Length)];
            int room = 300 - prefix.Length;
            int length = random.Next(4) == 0 ? random.Next(room + 1) : random.Next(Math.Min(room, 12) + 1);
            byte[] key = new byte[prefix.Length + length];
            prefix.CopyTo(key, 0);
            bool anyByte = random.Next(3) == 0;
            for (int i = prefix.Length; i < key.Length; i++)
            {
                key[i] = anyByte ? (byte)random.Next(256) : Alphabet[random.Next(Alphabet.Length)];
            }

            return key;
        }

        public byte[] Pick(Random random)
        {
            int skip = random.Next(_order.Count);
            foreach (byte[] key in _order)
            {
                if (skip-- == 0)
                {
                    return key;
                }
            }

            throw new InvalidOperationException("the model is empty");
        }

        /// <summary>A start for a walk: a key held, one near it, a new key, or the empty key.</summary>
        public byte[] NewStart(Random random)
        {
            int shape = random.Next(6);
            if (shape < 3 && _order.Count > 0)
            {
                return shape == 0 ? NewKey(random) : Pick(random);
            }

            return shape == 3 ? [] : NewKey(random);
        }

        /// <summary>Walks the index from a start, at most <paramref name="limit"/> keys, and compares with the model.</summary>
        public void CheckWalk(KeyIndex index, byte[] start, bool inclusive, int limit)
        {
            using IEnumerator<byte[]> expected = From(start, inclusive).GetEnumerator();
            int seen = 0;
            foreach ((ReadOnlySpan<byte> key, RecordLocation location) in index.OrderedFrom(start, inclusive))
            {
                if (!expected.MoveNext())
                {
                    throw new InvalidOperationException($"walk from {Show(start)} ({(inclusive ? "inclusive" : "exclusive")}): key {seen} is {Show(key)}, the model has no more");
                }

                if (!key.SequenceEqual(expected.Current))
                {
                    throw new InvalidOperationException($"walk from {Show(start)} ({(inclusive ? "inclusive" : "exclusive")}): key {seen} is {Show(key)}, the model says {Show(expected.Current)}");
                }

                if (location != LocationOf(expected.Current))
                {
                    throw new InvalidOperationException($"walk: key {Show(key)} has location {location}, the model says {LocationOf(expected.Current)}");
                }

                if (++seen == limit)
                {
                    return;
                }
            }

            if (expected.MoveNext())
            {
                throw new InvalidOperationException($"walk from {Show(start)} ({(inclusive ? "inclusive" : "exclusive")}) ended after {seen} keys; the model goes on with {Show(expected.Current)}");
            }
        }

        /// <summary>Up to <paramref name="count"/> keys held, in order, from <paramref name="start"/> on.</summary>
        public List<byte[]> Run(byte[] start, int count)
        {
            var run = new List<byte[]>();
            foreach (byte[] key in From(start, true))
            {
                if (run.Count == count)
                {
                    break;
                }

                run.Add(key);
            }

            return run;
        }

        public static string Show(ReadOnlySpan<byte> key)
            => key.Length <= 24 ? "[" + Convert.ToHexString(key) + "]" : "[" + Convert.ToHexString(key.Slice(0, 24)) + "… " + key.Length + " bytes]";

        private IEnumerable<byte[]> From(byte[] start, bool inclusive)
        {
            if (_order.Count == 0 || ByteOrder.Instance.Compare(start, _order.Max) > 0)
            {
                yield break;
            }

            foreach (byte[] key in _order.GetViewBetween(start, _order.Max!))
            {
                if (inclusive || ByteOrder.Instance.Compare(key, start) != 0)
                {
                    yield return key;
                }
            }
        }

        /// <summary>Unsigned byte order, a key before its extensions: the order the index promises.</summary>
        internal sealed class ByteOrder : IComparer<byte[]>
        {
            public static readonly ByteOrder Instance = new ByteOrder();

            public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
        }
    }
}
