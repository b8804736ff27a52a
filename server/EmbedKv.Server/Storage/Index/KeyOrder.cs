// Hand-written: the ordered collections of .NET and of packages (SortedSet, SortedList, B-tree
// libraries) keep their keys and nodes as managed objects that the collector traces, and none can
// refer to keys by the hash index's entry numbers; this tree lives in native memory beside the hash
// table and holds no key bytes but short heads.
using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EmbedKv.Runtime.Memory;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// The keys of a <see cref="KeyIndex"/> in unsigned byte order: a B+tree in native memory whose
    /// leaves hold entry numbers (never key bytes), kept in step by the index on every insert and
    /// removal, so that the keys can be listed in order from any start.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Nodes are fixed-size blocks (512 bytes by default) of one <see cref="NativeRegion"/>, numbered
    /// from 1 (0 means none). A node has a 16-byte header, then its keys' 4-byte heads, then the keys'
    /// entry numbers, then, in an inner node, its children's node numbers: 62 keys a leaf, 41 children
    /// an inner node. An inner node holds, for each child, the child's smallest key (the first one is
    /// its own smallest key), so inner nodes merge and split just as leaves do. That key is exact: when
    /// the smallest key of a subtree leaves, every inner node naming it is given the next one, so the
    /// tree never names an entry that the index has freed (and may have reused for another key).
    /// Leaves are linked both ways, for the ordered walk and for unlinking an emptied leaf.
    /// </para>
    /// <para>
    /// Comparisons rarely touch the key arena. Each node keeps a length <c>skip</c> that its keys'
    /// padded bytes all share (a lower bound of their common prefix), and for every key its next 4 bytes,
    /// the head (<see cref="KeyHeads"/>): unequal heads decide a comparison inside the node's own cache
    /// lines, and only equal heads read the keys. This is prefix truncation with fixed-size "poor man's
    /// normalized keys" (Graefe, "Modern B-Tree Techniques", 2011; LeanStore's 4-byte key heads), with
    /// the prefix measured on the node's own keys rather than on fence keys, so that the rightmost
    /// leaf of an append-only workload still has one. A probe must share a node's prefix for the heads
    /// to apply; the descent knows whether it does without reading a key, because the comparison in
    /// the parent that chose the child also measured the probe's common prefix with the child's
    /// smallest key. A split may lengthen a half's prefix (its heads are then read again); an insert,
    /// a merge or a borrowed key that does not share it shortens it, which needs one key's bytes.
    /// </para>
    /// <para>
    /// Splits are even, except in a run: when a node's last 16 inserts each went after the one before
    /// (or each at or before it), the node splits where the run is, and the keys behind the run stay
    /// in a node of their own, which no later insert of the run touches (InnoDB's heuristic of insert
    /// direction). Ascending keys, appended or arriving between older keys (recovery inserts "10".."19"
    /// after "1", then "20".."29" after "2"), then fill their nodes instead of leaving every node behind
    /// them half empty, as even splits would. A node with fewer than half its capacity after a removal
    /// takes keys from a sibling or merges with it; the root shrinks when it has one child.
    /// </para>
    /// <para>
    /// Memory: at most <see cref="EnsureRoom"/>'s few nodes are ever allocated inside an operation, and
    /// <see cref="KeyIndex"/> makes that room before it changes anything, so an insert cannot fail
    /// halfway. Removal frees nodes only. Nothing is allocated on the GC heap per operation; the bulk
    /// build (<see cref="Build"/>) maps one scratch region for its sort.
    /// </para>
    /// <para>Not thread-safe; owned and locked by its index.</para>
    /// </remarks>
    [SkipLocalsInit]
    internal sealed unsafe partial class KeyOrder : IDisposable
    {
        /// <summary>The node size in production.</summary>
        public const int DefaultNodeBytes = 512;

        /// <summary>The smallest node size (4 children an inner node), for tests that want deep trees.</summary>
        public const int MinNodeBytes = 64;

        private const int HeaderBytes = 16;

        // Far above any height a tree in memory reaches (ten levels of half-full nodes hold 10^12 keys);
        // checked before each insert, so that the path arrays cannot overflow.
        private const int MaxHeight = 32;

        private const byte LeafLevel = 0;
        private const byte FreeLevel = byte.MaxValue;

        private readonly NativeRegion _region;
        private readonly int _nodeBytes;
        private readonly int _leafCapacity;
        private readonly int _innerCapacity;
        private readonly int _leafMinimum;
        private readonly int _innerMinimum;

        private byte* _nodes;
        private uint _nodeCapacity;
        private uint _nodeHighWater;
        private uint _freeNodes;
        private uint _freeCount;

        private uint _root;
        private int _height;
        private long _count;

        // The index's entries and arena for the current call (they move between calls).
        private KeySource _keys;

        /// <summary>Creates an empty tree.</summary>
        /// <param name="nodeBytes">The node size: a multiple of 16 from <see cref="MinNodeBytes"/> to 64 KiB.</param>
        public KeyOrder(int nodeBytes)
        {
            if (nodeBytes < MinNodeBytes || nodeBytes > 1 << 16 || nodeBytes % 16 != 0)
            {
                throw new ArgumentOutOfRangeException(nameof(nodeBytes), nodeBytes, "A node is a multiple of 16 bytes from 64 to 65536.");
            }

            _nodeBytes = nodeBytes;
            _leafCapacity = (nodeBytes - HeaderBytes) / 8;
            _innerCapacity = (nodeBytes - HeaderBytes) / 12;
            _leafMinimum = _leafCapacity / 2;
            _innerMinimum = _innerCapacity / 2;
            _region = NativeRegion.Allocate((nuint)nodeBytes * 8);
            _nodes = _region.Pointer;
            _nodeCapacity = (uint)(_region.Length / (uint)nodeBytes);
            Clear();
        }

        /// <summary>Levels, 1 for a lone leaf.</summary>
        public int Height => _height;

        /// <summary>Bytes reserved for nodes; only the touched part is resident.</summary>
        public long ReservedBytes => (long)_region.Length;

        /// <summary>Bytes of nodes touched so far (in use, free, or the unused node 0), in whole pages.</summary>
        public long ResidentBytes
        {
            get
            {
                ulong bytes = (ulong)_nodeHighWater * (uint)_nodeBytes;
                ulong page = (ulong)Environment.SystemPageSize;
                return (long)((bytes + page - 1) / page * page);
            }
        }

        /// <summary>Empties the tree (its memory stays mapped for the next keys).</summary>
        public void Clear()
        {
            _nodeHighWater = 1;
            _freeNodes = 0;
            _freeCount = 0;
            _root = NewNode(LeafLevel);
            _height = 1;
            _count = 0;
        }

        /// <summary>
        /// Makes room for one <see cref="Insert"/>: a split on every level and a new root. The index calls
        /// it before changing anything, so that the insert itself cannot fail.
        /// </summary>
        /// <exception cref="OutOfMemoryException">The node region cannot grow; nothing changed.</exception>
        public void EnsureRoom()
        {
            if (_height >= MaxHeight - 1)
            {
                throw new InvalidOperationException("The ordered key index is " + _height + " levels high; it cannot grow taller.");
            }

            uint needed = (uint)_height + 1;
            uint available = _freeCount + (_nodeCapacity - _nodeHighWater);
            if (available < needed)
            {
                // Half again each time, as the index's other regions grow.
                GrowTo((ulong)_nodeCapacity + Math.Max(needed, _nodeCapacity / 2));
            }
        }

        /// <summary>Makes room for <paramref name="keyCount"/> keys inserted one by one, with every leaf half full.</summary>
        /// <param name="keyCount">Keys in total.</param>
        public void Reserve(int keyCount)
        {
            ulong leaves = ((ulong)keyCount / (ulong)_leafMinimum) + 1;
            ulong nodes = leaves + (leaves / (ulong)(_innerMinimum - 1)) + MaxHeight + 1;
            if (nodes > _nodeCapacity)
            {
                GrowTo(nodes);
            }
        }

        /// <summary>Adds an entry whose key is not in the tree.</summary>
        /// <param name="keys">The index's keys now.</param>
        /// <param name="entryNumber">The entry, already holding its key.</param>
        public void Insert(in KeySource keys, uint entryNumber)
        {
            _keys = keys;
            ReadOnlySpan<byte> key = keys[entryNumber];
            Path path = default;
            int position = Descend(key, false, ref path, out bool found, out int prefix);
            if (found)
            {
                throw new InvalidOperationException("The ordered key index already holds the key it was given to insert.");
            }

            int level = _height - 1;
            Node* leaf = At(path.Nodes[level]);
            if (prefix >= 0 && prefix < leaf->Skip)
            {
                // The key lies beyond this leaf's shared prefix (before its first key or after its last).
                LowerSkip(leaf, prefix);
            }

            if (leaf->Count == _leafCapacity)
            {
                SplitLeaf(ref path, position, entryNumber, key);
            }
            else
            {
                byte run = RunWith(leaf, position);
                Put(leaf, position, entryNumber, KeyHeads.Head(key, leaf->Skip), 0);
                NoteRun(leaf, position, run);
                if (position == 0 && level > 0)
                {
                    NewFirstKey(ref path, level);
                }
            }

            _count++;
        }

        /// <summary>Takes an entry's key out of the tree; the entry must still hold it.</summary>
        /// <param name="keys">The index's keys now.</param>
        /// <param name="entryNumber">The entry.</param>
        public void Remove(in KeySource keys, uint entryNumber)
        {
            _keys = keys;
            Path path = default;
            int position = Descend(keys[entryNumber], false, ref path, out bool found, out _);
            int level = _height - 1;
            Node* leaf = At(path.Nodes[level]);
            if (!found || KeysOf(leaf)[position] != entryNumber)
            {
                throw new InvalidOperationException("The ordered key index is out of step with the key index: entry " + entryNumber + " is not where its key belongs.");
            }

            Cut(leaf, position, 1);
            NoteRun(leaf, -1, 0);
            _count--;
            if (level == 0)
            {
                return;
            }

            if (position == 0 && leaf->Count > 0)
            {
                NewFirstKey(ref path, level);
            }

            if (leaf->Count < _leafMinimum)
            {
                Rebalance(ref path, level);
            }
        }

        /// <summary>Finds where an ordered walk from <paramref name="start"/> begins.</summary>
        /// <param name="keys">The index's keys now.</param>
        /// <param name="start">The first key, or the key before the first.</param>
        /// <param name="inclusive">Whether a key equal to <paramref name="start"/> is included.</param>
        /// <param name="leaf">The leaf to begin in.</param>
        /// <param name="position">The position in it (possibly its end: <see cref="TryNext"/> moves on).</param>
        public void Seek(in KeySource keys, ReadOnlySpan<byte> start, bool inclusive, out uint leaf, out int position)
        {
            _keys = keys;
            Path path = default;
            position = Descend(start, !inclusive, ref path, out _, out _);
            leaf = path.Nodes[_height - 1];
        }

        /// <summary>Reads the entry at a walk's position and moves past it.</summary>
        /// <param name="leaf">The walk's leaf; 0 once the walk has passed the last key.</param>
        /// <param name="position">The walk's position in the leaf.</param>
        /// <param name="entryNumber">The entry read.</param>
        /// <returns>False at the end of the keys.</returns>
        public bool TryNext(ref uint leaf, ref int position, out uint entryNumber)
        {
            while (leaf != 0)
            {
                Node* node = At(leaf);
                if (position < node->Count)
                {
                    entryNumber = (Heads(node) + _leafCapacity)[position++];
                    return true;
                }

                leaf = node->Next;
                position = 0;
            }

            entryNumber = 0;
            return false;
        }

        /// <summary>Unmaps the nodes.</summary>
        public void Dispose()
        {
            _region.Dispose();
            _nodes = null;
        }

        /// <summary>
        /// Walks from the root to the leaf where <paramref name="probe"/> belongs, noting the path. In each
        /// node it knows the probe's padded common prefix with the node's first key (measured by the parent's
        /// comparison that chose the node), so it knows whether the probe shares the node's prefix.
        /// </summary>
        /// <param name="probe">The key sought.</param>
        /// <param name="after">At the leaf, find the first key after the probe rather than the first not before it.</param>
        /// <param name="path">The nodes and child positions from the root down.</param>
        /// <param name="found">Whether the leaf's key at the result is the probe (only when <paramref name="after"/> is false).</param>
        /// <param name="prefix">The probe's common prefix with the leaf's first key, or -1 where the leaf needs none (no prefix to share).</param>
        /// <returns>The position in the leaf.</returns>
        private int Descend(ReadOnlySpan<byte> probe, bool after, ref Path path, out bool found, out int prefix)
        {
            uint id = _root;
            int known = -1;
            int order = 0;
            for (int level = 0; ; level++)
            {
                path.Nodes[level] = id;
                Node* node = At(id);
                int count = node->Count;
                bool leaf = level == _height - 1;
                int skip = node->Skip;
                if (skip > 0 && known < 0 && count > 0)
                {
                    order = KeyHeads.Compare(probe, _keys[KeysOf(node)[0]], out known);
                }

                int below;
                int childPrefix;
                int childOrder;
                if (count == 0 || (skip > 0 && known < skip))
                {
                    // The probe differs from the node's first key (so from all its keys) before the heads.
                    below = order < 0 || count == 0 ? 0 : count;
                    found = false;
                    childPrefix = known;
                    childOrder = order;
                }
                else
                {
                    below = Search(node, count, probe, !leaf || after, out found, out childPrefix, out childOrder);
                }

                if (leaf)
                {
                    prefix = known;
                    return below;
                }

                int child = below == 0 ? 0 : below - 1;
                path.Indexes[level] = child;
                id = ChildrenOf(node)[child];
                known = childPrefix;
                order = childOrder;
            }
        }

        /// <summary>Binary search of a node whose prefix the probe shares.</summary>
        /// <param name="node">The node.</param>
        /// <param name="count">Its keys.</param>
        /// <param name="probe">The key sought.</param>
        /// <param name="after">Count the keys equal to the probe as before it.</param>
        /// <param name="found">Whether the key at the result equals the probe (only when <paramref name="after"/> is false).</param>
        /// <param name="childPrefix">The probe's common prefix with the key before the result (with the first key if none is before).</param>
        /// <param name="childOrder">The probe's order against that same key.</param>
        /// <returns>How many keys are before the probe.</returns>
        private int Search(Node* node, int count, ReadOnlySpan<byte> probe, bool after, out bool found, out int childPrefix, out int childOrder)
        {
            uint* heads = Heads(node);
            uint* keys = KeysOf(node);
            int skip = node->Skip;
            uint head = KeyHeads.Head(probe, skip);
            int low = 0;
            int high = count;
            int lowPrefix = 0;
            int lowOrder = 0;
            int highPrefix = 0;
            int highOrder = 1;
            while (low < high)
            {
                int middle = (int)((uint)(low + high) >> 1);
                uint other = heads[middle];
                int order;
                int prefix;
                if (other != head)
                {
                    order = head < other ? -1 : 1;
                    prefix = KeyHeads.PrefixOfHeads(skip, head, other);
                }
                else
                {
                    order = KeyHeads.Compare(probe, _keys[keys[middle]], out prefix);
                }

                if (order > 0 || (order == 0 && after))
                {
                    low = middle + 1;
                    lowPrefix = prefix;
                    lowOrder = order;
                }
                else
                {
                    high = middle;
                    highPrefix = prefix;
                    highOrder = order;
                }
            }

            // The last move of high (if any) compared the key at the result, and that of low the key before it.
            found = low < count && highOrder == 0;
            childPrefix = low > 0 ? lowPrefix : highPrefix;
            childOrder = low > 0 ? lowOrder : highOrder;
            return low;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private Node* At(uint id) => (Node*)(_nodes + ((nuint)id * (nuint)_nodeBytes));

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint* Heads(Node* node) => (uint*)((byte*)node + HeaderBytes);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint* KeysOf(Node* node) => Heads(node) + (node->Level == LeafLevel ? _leafCapacity : _innerCapacity);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint* ChildrenOf(Node* node) => Heads(node) + (2 * _innerCapacity);

        private int CapacityOf(Node* node) => node->Level == LeafLevel ? _leafCapacity : _innerCapacity;

        private uint NewNode(byte level)
        {
            uint id;
            if (_freeNodes != 0)
            {
                id = _freeNodes;
                _freeNodes = At(id)->Next;
                _freeCount--;
            }
            else if (_nodeHighWater < _nodeCapacity)
            {
                id = _nodeHighWater++;
            }
            else
            {
                // EnsureRoom and Build make room first, so that no node pointer held by the caller moves.
                throw new InvalidOperationException("The ordered key index ran out of reserved nodes.");
            }

            Node* node = At(id);
            *node = default;
            node->Level = level;
            return id;
        }

        private void FreeNode(uint id)
        {
            Node* node = At(id);
            node->Level = FreeLevel;
            node->Count = 0;
            node->Next = _freeNodes;
            _freeNodes = id;
            _freeCount++;
        }

        private void GrowTo(ulong nodes)
        {
            _region.Grow((nuint)(nodes * (ulong)_nodeBytes));
            _nodes = _region.Pointer;
            _nodeCapacity = (uint)Math.Min(_region.Length / (uint)_nodeBytes, uint.MaxValue);
        }

        /// <summary>A node's header; its heads, keys and children follow it.</summary>
        [StructLayout(LayoutKind.Sequential, Size = HeaderBytes)]
        private struct Node
        {
            /// <summary>Keys (and, in an inner node, children).</summary>
            public ushort Count;

            /// <summary>How many leading padded bytes all keys share; heads start there.</summary>
            public ushort Skip;

            /// <summary>0 for a leaf, its height above the leaves for an inner node, <see cref="FreeLevel"/> when free.</summary>
            public byte Level;

            /// <summary>The run of inserts that went the same way: its length, and <see cref="Descending"/> if they went down.</summary>
            public byte Run;

            /// <summary>The position of the last insert + 1; 0 if none since the positions last moved.</summary>
            public ushort Last;

            /// <summary>The next leaf (0 for the last); for a free node, the next free node.</summary>
            public uint Next;

            /// <summary>The previous leaf (0 for the first).</summary>
            public uint Prev;
        }

        /// <summary>The nodes from the root down to a leaf, and the child taken in each inner node.</summary>
        private struct Path
        {
            public PathNodes Nodes;
            public PathIndexes Indexes;
        }

        [InlineArray(MaxHeight)]
        private struct PathNodes
        {
            private uint _element;
        }

        [InlineArray(MaxHeight)]
        private struct PathIndexes
        {
            private int _element;
        }
    }
}
