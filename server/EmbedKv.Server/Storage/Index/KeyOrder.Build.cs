using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using EmbedKv.Runtime.Memory;

namespace EmbedKv.Server.Storage.Index
{
    /// <content>
    /// The bulk build: sorts every entry at once and writes the tree level by level, far faster than a
    /// million inserts, each a descent that reads keys scattered over the arena.
    /// </content>
    /// <remarks>
    /// The build runs once, when the store opens, in loops over every key: its methods are compiled
    /// fully optimized at once (<see cref="MethodImplOptions.AggressiveOptimization"/>) rather than
    /// tiered up while they run. Tiered, the first build of a process took 0.23 s for a million keys,
    /// warmed-up ones 0.06 s. For the same reason it sorts with <see cref="WordSort"/>.
    /// </remarks>
    internal sealed unsafe partial class KeyOrder
    {
        // Built nodes are filled to 15/16, so that the first inserts after a build do not split at once.
        private const int BuildFillSixteenths = 15;

        /// <summary>
        /// Replaces the tree by one holding every entry in use. The entries are sorted by their first 8
        /// padded key bytes as integers; runs that tie there are sorted by their next 8 bytes, and so on
        /// (a most-significant-digit radix sort by 8-byte words, which reads only the keys that tie);
        /// keys that tie to their ends differ only in trailing zeros and are sorted by length. Leaves and
        /// inner nodes are then written full (15/16), left to right, with their heads taken from the
        /// sort words where the prefix is short enough, from the keys where it is not.
        /// </summary>
        /// <param name="keys">The index's keys now.</param>
        /// <param name="entryHighWater">Entries to look at: those below it that are not free.</param>
        /// <param name="count">How many of them are in use.</param>
        /// <exception cref="OutOfMemoryException">The scratch memory (24 bytes a key) or the nodes could not be mapped; the tree is empty.</exception>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Build(in KeySource keys, uint entryHighWater, int count)
        {
            _keys = keys;
            Clear();
            if (count == 0)
            {
                return;
            }

            // Words and entry numbers, and as much again for the sort to move them into.
            using NativeRegion scratch = NativeRegion.Allocate((nuint)count * 2 * (sizeof(ulong) + sizeof(uint)));
            ulong* words = (ulong*)scratch.Pointer;
            ulong* spareWords = words + count;
            uint* items = (uint*)(spareWords + count);
            uint* spareItems = items + count;
            int n = 0;
            for (uint entryNumber = 0; entryNumber < entryHighWater; entryNumber++)
            {
                if ((keys.Entry(entryNumber)->Flags & IndexEntry.FreeFlag) != 0)
                {
                    continue;
                }

                if (n == count)
                {
                    throw new InvalidOperationException("The key index holds more entries than its count.");
                }

                items[n] = entryNumber;
                words[n] = KeyHeads.Word(keys[entryNumber], 0);
                n++;
            }

            if (n != count)
            {
                throw new InvalidOperationException("The key index holds " + n + " entries, not " + count + ".");
            }

            WordSort.Sort(words, items, n, spareWords, spareItems);
            SortTies(words, items, n, spareWords, spareItems);
            BuildLeaves(words, items, n);
        }

        /// <summary>Sorts each run of entries whose first words tie, then puts the first word back for the leaves' heads.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SortTies(ulong* words, uint* items, int n, ulong* spareWords, uint* spareItems)
        {
            var runs = new RunStack();
            try
            {
                for (int start = 0; start < n;)
                {
                    ulong word = words[start];
                    int end = start + 1;
                    while (end < n && words[end] == word)
                    {
                        end++;
                    }

                    if (end - start > 1)
                    {
                        runs.Push(start, end, 1);
                        while (runs.TryPop(out int low, out int high, out int depth))
                        {
                            SortRun(words, items, low, high, depth, spareWords, spareItems, ref runs);
                        }

                        new Span<ulong>(words + start, end - start).Fill(word);
                    }

                    start = end;
                }
            }
            finally
            {
                runs.Dispose();
            }
        }

        /// <summary>Sorts entries that tie in their first <paramref name="depth"/> words by the next one, pushing the runs that tie again.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void SortRun(ulong* words, uint* items, int low, int high, int depth, ulong* spareWords, uint* spareItems, ref RunStack runs)
        {
            int longest = 0;
            for (int i = low; i < high; i++)
            {
                ReadOnlySpan<byte> key = _keys[items[i]];
                words[i] = KeyHeads.Word(key, depth);
                longest = Math.Max(longest, key.Length);
            }

            if (longest <= depth * 8)
            {
                // Every key ended within the words that tied: they are equal but for trailing zeros.
                for (int i = low; i < high; i++)
                {
                    words[i] = _keys.Entry(items[i])->KeyLength;
                }

                WordSort.Sort(words + low, items + low, high - low, spareWords, spareItems);
                return;
            }

            WordSort.Sort(words + low, items + low, high - low, spareWords, spareItems);
            for (int start = low; start < high;)
            {
                int end = start + 1;
                while (end < high && words[end] == words[start])
                {
                    end++;
                }

                if (end - start > 1)
                {
                    runs.Push(start, end, depth + 1);
                }

                start = end;
            }
        }

        /// <summary>Writes the leaves from the sorted entries, then each level of inner nodes from the one below.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void BuildLeaves(ulong* words, uint* items, int n)
        {
            int leafFill = Math.Max(1, _leafCapacity * BuildFillSixteenths / 16);
            int innerFill = Math.Max(2, _innerCapacity * BuildFillSixteenths / 16);
            int leaves = (n + leafFill - 1) / leafFill;
            ulong nodes = (ulong)leaves;
            for (ulong level = (ulong)leaves; level > 1;)
            {
                level = (level + (ulong)innerFill - 1) / (ulong)innerFill;
                nodes += level;
            }

            // The cleared tree's empty root is node 1 and is reused as the first leaf.
            if (nodes + 1 > _nodeCapacity)
            {
                GrowTo(nodes + 1);
            }

            _nodeHighWater = 1;
            uint first = _nodeHighWater;
            int at = 0;
            for (int leafIndex = 0; leafIndex < leaves; leafIndex++)
            {
                int size = (n / leaves) + (leafIndex < n % leaves ? 1 : 0);
                uint id = NewNode(LeafLevel);
                Node* leaf = At(id);
                new Span<uint>(items + at, size).CopyTo(new Span<uint>(KeysOf(leaf), size));
                leaf->Count = (ushort)size;
                int skip = size < 2 ? 0
                    : words[at] != words[at + size - 1] ? BitOperations.LeadingZeroCount(words[at] ^ words[at + size - 1]) >> 3
                    : LongPrefix(items[at], items[at + size - 1]);
                leaf->Skip = (ushort)skip;
                uint* heads = Heads(leaf);
                for (int i = 0; i < size; i++)
                {
                    heads[i] = skip <= 4 ? (uint)((words[at + i] << (skip * 8)) >> 32) : KeyHeads.Head(_keys[items[at + i]], skip);
                }

                leaf->Prev = leafIndex == 0 ? 0 : id - 1;
                leaf->Next = leafIndex == leaves - 1 ? 0 : id + 1;
                at += size;
            }

            int height = 1;
            int levelCount = leaves;
            while (levelCount > 1)
            {
                int parents = (levelCount + innerFill - 1) / innerFill;
                uint parentsFirst = _nodeHighWater;
                uint child = first;
                for (int p = 0; p < parents; p++)
                {
                    int size = (levelCount / parents) + (p < levelCount % parents ? 1 : 0);
                    Node* node = At(NewNode((byte)height));
                    uint* keys = KeysOf(node);
                    for (int i = 0; i < size; i++)
                    {
                        ChildrenOf(node)[i] = child;
                        keys[i] = KeysOf(At(child))[0];
                        child++;
                    }

                    node->Count = (ushort)size;
                    int skip = size < 2 ? 0 : LongPrefix(keys[0], keys[size - 1]);
                    node->Skip = (ushort)skip;
                    for (int i = 0; i < size; i++)
                    {
                        Heads(node)[i] = KeyHeads.Head(_keys[keys[i]], skip);
                    }
                }

                first = parentsFirst;
                levelCount = parents;
                height++;
            }

            _root = first;
            _height = height;
            _count = n;
        }

        private int LongPrefix(uint a, uint b)
        {
            KeyHeads.Compare(_keys[a], _keys[b], out int prefix);
            return prefix;
        }

        /// <summary>The runs still to sort, in native memory that grows as needed (at most one run per two entries).</summary>
        private struct RunStack : IDisposable
        {
            private NativeRegion? _region;
            private int* _frames;
            private int _capacity;
            private int _count;

            public void Push(int low, int high, int depth)
            {
                if (_count == _capacity)
                {
                    int capacity = Math.Max(1024, _capacity * 2);
                    if (_region == null)
                    {
                        _region = NativeRegion.Allocate((nuint)capacity * 3 * sizeof(int));
                    }
                    else
                    {
                        _region.Grow((nuint)capacity * 3 * sizeof(int));
                    }

                    _frames = (int*)_region.Pointer;
                    _capacity = capacity;
                }

                int* frame = _frames + (_count++ * 3);
                frame[0] = low;
                frame[1] = high;
                frame[2] = depth;
            }

            public bool TryPop(out int low, out int high, out int depth)
            {
                if (_count == 0)
                {
                    low = high = depth = 0;
                    return false;
                }

                int* frame = _frames + (--_count * 3);
                low = frame[0];
                high = frame[1];
                depth = frame[2];
                return true;
            }

            public void Dispose() => _region?.Dispose();
        }
    }
}
