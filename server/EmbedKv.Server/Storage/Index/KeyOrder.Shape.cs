using System;

namespace EmbedKv.Server.Storage.Index
{
    /// <content>
    /// The tree's shape: splitting full nodes, merging and rebalancing thin ones, keeping each inner
    /// node's copy of its children's first keys exact, and each node's shared prefix and heads valid.
    /// </content>
    internal sealed unsafe partial class KeyOrder
    {
        /// <summary>Splits a full leaf and inserts the key into the half where it belongs.</summary>
        private void SplitLeaf(ref Path path, int position, uint entryNumber, ReadOnlySpan<byte> key)
        {
            int level = _height - 1;
            uint leftId = path.Nodes[level];
            byte run = RunWith(At(leftId), position);
            if (position == _leafCapacity && TryOverflow(ref path, level, entryNumber, 0, run))
            {
                return;
            }

            uint rightId = NewNode(LeafLevel);
            Node* left = At(leftId);
            Node* right = At(rightId);
            int keep = SplitPoint(_leafCapacity, position, run, out bool toRight, out int at);
            MoveTail(left, keep, right);
            right->Next = left->Next;
            right->Prev = leftId;
            if (left->Next != 0)
            {
                At(left->Next)->Prev = rightId;
            }

            left->Next = rightId;
            // Insert made the leaf's prefix one the key shares, and the new half took it over.
            Node* target = toRight ? right : left;
            Put(target, at, entryNumber, KeyHeads.Head(key, target->Skip), 0);
            NoteSplitRun(left, right, target, at, run);
            RaiseSkip(left);
            RaiseSkip(right);
            if (target == left && at == 0 && level > 0)
            {
                NewFirstKey(ref path, level);
            }

            AddChild(ref path, level - 1, rightId);
        }

        /// <summary>Adds a new right sibling of the node on <paramref name="level"/> + 1 to its parent on <paramref name="level"/>.</summary>
        private void AddChild(ref Path path, int level, uint childId)
        {
            if (level < 0)
            {
                NewRoot(path.Nodes[0], childId);
                return;
            }

            uint parentId = path.Nodes[level];
            Node* parent = At(parentId);
            int at = path.Indexes[level] + 1;
            uint first = KeysOf(At(childId))[0];
            byte run = RunWith(parent, at);
            if (parent->Count < _innerCapacity)
            {
                PutKey(parent, at, first, childId);
                NoteRun(parent, at, run);
                return;
            }

            if (at == _innerCapacity && TryOverflow(ref path, level, first, childId, run))
            {
                return;
            }

            uint rightId = NewNode(parent->Level);
            parent = At(parentId);
            Node* right = At(rightId);
            int keep = SplitPoint(_innerCapacity, at, run, out bool toRight, out int targetAt);
            MoveTail(parent, keep, right);
            Node* target = toRight ? right : parent;
            PutKey(target, targetAt, first, childId);
            NoteSplitRun(parent, right, target, targetAt, run);
            RaiseSkip(parent);
            RaiseSkip(right);
            AddChild(ref path, level - 1, rightId);
        }

        private void NewRoot(uint leftId, uint rightId)
        {
            uint rootId = NewNode((byte)(At(leftId)->Level + 1));
            Node* root = At(rootId);
            uint* keys = KeysOf(root);
            uint* children = ChildrenOf(root);
            keys[0] = KeysOf(At(leftId))[0];
            keys[1] = KeysOf(At(rightId))[0];
            children[0] = leftId;
            children[1] = rightId;
            root->Count = 2;
            KeyHeads.Compare(_keys[keys[0]], _keys[keys[1]], out int prefix);
            root->Skip = (ushort)prefix;
            Heads(root)[0] = KeyHeads.Head(_keys[keys[0]], prefix);
            Heads(root)[1] = KeyHeads.Head(_keys[keys[1]], prefix);
            _root = rootId;
            _height++;
        }

        /// <summary>Puts a key (and, in an inner node, its child) into a node with room, shortening the node's prefix if the key does not share it.</summary>
        private void PutKey(Node* node, int at, uint first, uint childId)
        {
            ReadOnlySpan<byte> key = _keys[first];
            int count = node->Count;
            if (count > 0 && (at == 0 || at == count))
            {
                // Between two keys of the node, a key shares their prefix; at either end it may not.
                KeyHeads.Compare(key, _keys[KeysOf(node)[0]], out int prefix);
                if (prefix < node->Skip)
                {
                    LowerSkip(node, prefix);
                }
            }

            Put(node, at, first, KeyHeads.Head(key, node->Skip), childId);
        }

        /// <summary>After a node's first key changed, gives its ancestors that name it the new one.</summary>
        /// <param name="path">The path to the node.</param>
        /// <param name="level">The node's level on the path.</param>
        private void NewFirstKey(ref Path path, int level)
        {
            uint first = KeysOf(At(path.Nodes[level]))[0];
            for (int above = level - 1; above >= 0; above--)
            {
                int index = path.Indexes[above];
                ReplaceKey(At(path.Nodes[above]), index, first);
                if (index != 0)
                {
                    return; // Further up, the subtree's first key is another one.
                }
            }
        }

        /// <summary>Replaces one key of a node by a key that keeps the node's order.</summary>
        private void ReplaceKey(Node* node, int index, uint entryNumber)
        {
            ReadOnlySpan<byte> key = _keys[entryNumber];
            int count = node->Count;
            if (count > 1 && (index == 0 || index == count - 1))
            {
                KeyHeads.Compare(key, _keys[KeysOf(node)[index == 0 ? 1 : 0]], out int prefix);
                if (prefix < node->Skip)
                {
                    LowerSkip(node, prefix);
                }
            }

            KeysOf(node)[index] = entryNumber;
            Heads(node)[index] = KeyHeads.Head(key, node->Skip);
        }

        /// <summary>
        /// Restores the minimum fill from the node on <paramref name="level"/> up: a thin node borrows
        /// from a sibling (and the parent's key for the right one changes) or merges with it (and the
        /// parent loses a child, so it may be thin in turn). An empty node is always taken out.
        /// </summary>
        private void Rebalance(ref Path path, int level)
        {
            for (; level > 0; level--)
            {
                uint id = path.Nodes[level];
                Node* node = At(id);
                if (node->Count >= (node->Level == LeafLevel ? _leafMinimum : _innerMinimum))
                {
                    break;
                }

                Node* parent = At(path.Nodes[level - 1]);
                if (parent->Count == 1)
                {
                    // No sibling to work with: an empty node goes (and its parent is empty in turn); a
                    // thin one waits for its parent, thin as well, to merge with the parent's sibling.
                    if (node->Count == 0)
                    {
                        Unlink(id);
                        Cut(parent, 0, 1);
                        FreeNode(id);
                    }

                    continue;
                }

                int index = path.Indexes[level - 1];
                int left = index + 1 < parent->Count ? index : index - 1;
                uint leftId = ChildrenOf(parent)[left];
                uint rightId = ChildrenOf(parent)[left + 1];
                Node* leftNode = At(leftId);
                Node* rightNode = At(rightId);
                NoteRun(leftNode, -1, 0);
                NoteRun(rightNode, -1, 0);
                if (leftNode->Count + rightNode->Count <= CapacityOf(leftNode))
                {
                    bool leftWasEmpty = leftNode->Count == 0;
                    Merge(leftId, rightId);
                    Cut(parent, left + 1, 1);
                    if (leftWasEmpty)
                    {
                        // The left node's first key (the parent's key for it) is the right node's now.
                        ReplaceKey(parent, left, KeysOf(leftNode)[0]);
                        if (left == 0)
                        {
                            NewFirstKey(ref path, level - 1);
                        }
                    }
                }
                else
                {
                    Redistribute(leftNode, rightNode);
                    ReplaceKey(parent, left + 1, KeysOf(rightNode)[0]);
                    break;
                }
            }

            CollapseRoot();
        }

        /// <summary>Moves the right node's keys to the end of the left one's and frees the right node.</summary>
        private void Merge(uint leftId, uint rightId)
        {
            Node* left = At(leftId);
            Node* right = At(rightId);
            Append(left, right, 0, right->Count);
            Unlink(rightId);
            FreeNode(rightId);
        }

        /// <summary>Evens out two siblings whose keys do not fit one node.</summary>
        private void Redistribute(Node* left, Node* right)
        {
            int half = (left->Count + right->Count) / 2;
            if (left->Count > half)
            {
                // The left node's last keys go to the front of the right one.
                int moved = left->Count - half;
                ShareSkip(right, left);
                Shift(right, 0, moved);
                CopyKeys(left, half, right, 0, moved);
                left->Count = (ushort)half;
            }
            else
            {
                int moved = half - left->Count;
                Append(left, right, 0, moved);
                Cut(right, 0, moved);
            }
        }

        /// <summary>Copies <paramref name="count"/> keys of <paramref name="source"/> from <paramref name="from"/> to the end of <paramref name="target"/>.</summary>
        private void Append(Node* target, Node* source, int from, int count)
        {
            if (count == 0)
            {
                return;
            }

            ShareSkip(target, source);
            CopyKeys(source, from, target, target->Count, count);
            target->Count += (ushort)count;
        }

        /// <summary>Shortens <paramref name="target"/>'s prefix to one that <paramref name="source"/>'s keys share too (an empty target takes the source's).</summary>
        private void ShareSkip(Node* target, Node* source)
        {
            if (target->Count == 0)
            {
                target->Skip = source->Skip;
                return;
            }

            KeyHeads.Compare(_keys[KeysOf(target)[0]], _keys[KeysOf(source)[0]], out int prefix);
            int skip = Math.Min(Math.Min(prefix, source->Skip), target->Skip);
            if (skip < target->Skip)
            {
                LowerSkip(target, skip);
            }
        }

        /// <summary>
        /// Copies keys (heads, entries, children) between nodes of one level, rewriting the heads from
        /// the source's prefix to the target's, which must be no longer. The target's count is the caller's.
        /// </summary>
        private void CopyKeys(Node* source, int from, Node* target, int at, int count)
        {
            uint* targetHeads = Heads(target) + at;
            new Span<uint>(Heads(source) + from, count).CopyTo(new Span<uint>(targetHeads, count));
            new Span<uint>(KeysOf(source) + from, count).CopyTo(new Span<uint>(KeysOf(target) + at, count));
            if (source->Level != LeafLevel)
            {
                new Span<uint>(ChildrenOf(source) + from, count).CopyTo(new Span<uint>(ChildrenOf(target) + at, count));
            }

            if (target->Skip < source->Skip)
            {
                ConvertHeads(targetHeads, count, source->Skip, target->Skip, _keys[KeysOf(source)[0]]);
            }
        }

        /// <summary>Moves a full node's keys from <paramref name="keep"/> on into an empty new sibling, which takes the node's prefix.</summary>
        private void MoveTail(Node* node, int keep, Node* sibling)
        {
            int moved = node->Count - keep;
            sibling->Skip = node->Skip;
            CopyKeys(node, keep, sibling, 0, moved);
            sibling->Count = (ushort)moved;
            node->Count = (ushort)keep;
        }

        /// <summary>Inserts one key (and child) at <paramref name="at"/> in a node with room.</summary>
        private void Put(Node* node, int at, uint entryNumber, uint head, uint childId)
        {
            Shift(node, at, 1);
            Heads(node)[at] = head;
            KeysOf(node)[at] = entryNumber;
            if (node->Level != LeafLevel)
            {
                ChildrenOf(node)[at] = childId;
            }
        }

        /// <summary>Opens a gap of <paramref name="gap"/> keys at <paramref name="at"/>, counting them in.</summary>
        private void Shift(Node* node, int at, int gap)
        {
            int tail = node->Count - at;
            if (tail > 0)
            {
                new Span<uint>(Heads(node) + at, tail).CopyTo(new Span<uint>(Heads(node) + at + gap, tail));
                new Span<uint>(KeysOf(node) + at, tail).CopyTo(new Span<uint>(KeysOf(node) + at + gap, tail));
                if (node->Level != LeafLevel)
                {
                    new Span<uint>(ChildrenOf(node) + at, tail).CopyTo(new Span<uint>(ChildrenOf(node) + at + gap, tail));
                }
            }

            node->Count += (ushort)gap;
        }

        /// <summary>Removes <paramref name="count"/> keys from <paramref name="at"/>.</summary>
        private void Cut(Node* node, int at, int count)
        {
            int tail = node->Count - at - count;
            if (tail > 0)
            {
                new Span<uint>(Heads(node) + at + count, tail).CopyTo(new Span<uint>(Heads(node) + at, tail));
                new Span<uint>(KeysOf(node) + at + count, tail).CopyTo(new Span<uint>(KeysOf(node) + at, tail));
                if (node->Level != LeafLevel)
                {
                    new Span<uint>(ChildrenOf(node) + at + count, tail).CopyTo(new Span<uint>(ChildrenOf(node) + at, tail));
                }
            }

            node->Count -= (ushort)count;
        }

        /// <summary>Takes a leaf out of the leaf chain (nothing for an inner node).</summary>
        private void Unlink(uint id)
        {
            Node* node = At(id);
            if (node->Level != LeafLevel)
            {
                return;
            }

            if (node->Prev != 0)
            {
                At(node->Prev)->Next = node->Next;
            }

            if (node->Next != 0)
            {
                At(node->Next)->Prev = node->Prev;
            }
        }

        /// <summary>Lowers the tree while the root has one child; an emptied root becomes an empty leaf.</summary>
        private void CollapseRoot()
        {
            while (_height > 1)
            {
                Node* root = At(_root);
                if (root->Count > 1)
                {
                    return;
                }

                if (root->Count == 0)
                {
                    *root = default;
                    _height = 1;
                    return;
                }

                uint old = _root;
                _root = ChildrenOf(root)[0];
                FreeNode(old);
                _height--;
            }
        }

        /// <summary>
        /// Lengthens a node's prefix to what its keys share now (after a split took some away), reading
        /// every key again if it grew. Its first and last key bound it: sorted keys share what those two share.
        /// </summary>
        private void RaiseSkip(Node* node)
        {
            int count = node->Count;
            if (count < 2)
            {
                return;
            }

            uint* heads = Heads(node);
            uint* keys = KeysOf(node);
            int skip = node->Skip;
            int prefix;
            if (heads[0] != heads[count - 1])
            {
                prefix = KeyHeads.PrefixOfHeads(skip, heads[0], heads[count - 1]);
            }
            else
            {
                KeyHeads.Compare(_keys[keys[0]], _keys[keys[count - 1]], out prefix);
            }

            if (prefix <= skip)
            {
                return;
            }

            for (int i = 0; i < count; i++)
            {
                heads[i] = KeyHeads.Head(_keys[keys[i]], prefix);
            }

            node->Skip = (ushort)prefix;
        }

        /// <summary>Shortens a node's prefix, rewriting its heads from the first key's bytes alone.</summary>
        private void LowerSkip(Node* node, int skip)
        {
            if (node->Count > 0)
            {
                ConvertHeads(Heads(node), node->Count, node->Skip, skip, _keys[KeysOf(node)[0]]);
            }

            node->Skip = (ushort)skip;
        }

        /// <summary>
        /// Rewrites heads taken at <paramref name="from"/> as heads at the shorter <paramref name="to"/>:
        /// the bytes between the two are shared, so any of the keys (<paramref name="sharer"/>) has them,
        /// and the rest of each new head is the start of its old one.
        /// </summary>
        private static void ConvertHeads(uint* heads, int count, int from, int to, ReadOnlySpan<byte> sharer)
        {
            int shift = (from - to) * 8;
            uint shared = KeyHeads.Head(sharer, to);
            if (shift >= 32)
            {
                new Span<uint>(heads, count).Fill(shared);
                return;
            }

            uint high = shared & (~0u << (32 - shift));
            for (int i = 0; i < count; i++)
            {
                heads[i] = high | (heads[i] >> shift);
            }
        }
    }
}
