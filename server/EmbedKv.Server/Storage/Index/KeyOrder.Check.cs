using System;
using System.Collections.Generic;

namespace EmbedKv.Server.Storage.Index
{
    /// <content>
    /// A full check of the tree's invariants, for tests: slow, and allocating on the GC heap.
    /// </content>
    internal sealed unsafe partial class KeyOrder
    {
        /// <summary>Checks every invariant the tree relies on and throws on the first one broken.</summary>
        /// <param name="keys">The index's keys now.</param>
        /// <param name="expectedCount">The keys the index holds.</param>
        /// <exception cref="InvalidOperationException">An invariant does not hold; the message says which and where.</exception>
        public void Check(in KeySource keys, long expectedCount)
        {
            _keys = keys;
            Require(_count == expectedCount, "the tree counts " + _count + " keys, the index " + expectedCount);
            var leaves = new List<uint>();
            var seen = new HashSet<uint>();
            long nodes = CheckNode(_root, _height - 1, true, leaves, seen);
            Require(seen.Count == expectedCount, "the tree holds " + seen.Count + " keys, the index " + expectedCount);
            Require(nodes + _freeCount + 1 == _nodeHighWater, nodes + " nodes in use and " + _freeCount + " free, but " + (_nodeHighWater - 1) + " handed out");

            uint free = _freeNodes;
            for (uint i = 0; i < _freeCount; i++)
            {
                Require(free != 0 && At(free)->Level == FreeLevel, "the free list is shorter than " + _freeCount + " or holds a node in use");
                free = At(free)->Next;
            }

            Require(free == 0, "the free list is longer than its count");

            // The leaf chain, both ways, is the leaves in key order.
            uint previous = 0;
            for (int i = 0; i < leaves.Count; i++)
            {
                Node* leaf = At(leaves[i]);
                Require(leaf->Prev == previous, "leaf " + leaves[i] + " links back to " + leaf->Prev + ", not " + previous);
                Require(leaf->Next == (i + 1 < leaves.Count ? leaves[i + 1] : 0), "leaf " + leaves[i] + " links on to " + leaf->Next);
                if (i > 0)
                {
                    Node* before = At(previous);
                    int order = KeyHeads.Compare(_keys[KeysOf(before)[before->Count - 1]], _keys[KeysOf(leaf)[0]], out _);
                    Require(order < 0, "leaf " + previous + " ends after leaf " + leaves[i] + " begins");
                }

                previous = leaves[i];
            }
        }

        private long CheckNode(uint id, int level, bool isRoot, List<uint> leaves, HashSet<uint> seen)
        {
            Require(id != 0 && id < _nodeHighWater, "node number " + id + " out of range");
            Node* node = At(id);
            int count = node->Count;
            string where = "node " + id + " (level " + level + ", " + count + " keys, skip " + node->Skip + ")";
            Require(node->Level == level, where + " says it is on level " + node->Level);
            Require(count <= CapacityOf(node), where + " is over capacity");
            Require(count > 0 || (isRoot && level == 0), where + " is empty");
            Require(!isRoot || level == 0 || count >= 2, where + " is a root with one child");

            uint* heads = Heads(node);
            uint* keys = KeysOf(node);
            for (int i = 0; i < count; i++)
            {
                IndexEntry* entry = _keys.Entry(keys[i]);
                Require((entry->Flags & IndexEntry.FreeFlag) == 0, where + " names free entry " + keys[i]);
                ReadOnlySpan<byte> key = _keys[keys[i]];
                Require(heads[i] == KeyHeads.Head(key, node->Skip), where + ": the head of key " + i + " is stale");
                if (i > 0)
                {
                    int order = KeyHeads.Compare(_keys[keys[i - 1]], key, out _);
                    Require(order < 0, where + ": keys " + (i - 1) + " and " + i + " are out of order");
                }

                KeyHeads.Compare(_keys[keys[0]], key, out int prefix);
                Require(prefix >= node->Skip, where + ": key " + i + " shares only " + prefix + " bytes with the first");
            }

            if (level == 0)
            {
                leaves.Add(id);
                for (int i = 0; i < count; i++)
                {
                    Require(seen.Add(keys[i]), where + " holds entry " + keys[i] + " a second time");
                }

                return 1;
            }

            long nodes = 1;
            uint* children = ChildrenOf(node);
            for (int i = 0; i < count; i++)
            {
                Node* child = At(children[i]);
                Require(child->Count > 0 && KeysOf(child)[0] == keys[i], where + ": key " + i + " is not the first key of child " + children[i]);
                nodes += CheckNode(children[i], level - 1, false, leaves, seen);
            }

            return nodes;
        }

        private static void Require(bool condition, string message)
        {
            if (!condition)
            {
                throw new InvalidOperationException("Ordered key index: " + message + ".");
            }
        }
    }
}
