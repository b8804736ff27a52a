using System;

namespace EmbedKv.Server.Storage.Index
{
    /// <content>
    /// Runs of inserts: each node notes where its last insert went and how many in a row went the same
    /// way, and a full node in a long run splits where the run is rather than in the middle.
    /// </content>
    internal sealed unsafe partial class KeyOrder
    {
        // Node.Run: how many inserts in a row went the same way in the node (bits 0..6), and which (bit 7).
        private const byte RunLength = 0x7F;
        private const byte Descending = 0x80;

        // A run this long is no accident (random inserts make one with odds about 2^-15): split where it goes.
        private const int RunToSplitAtInsert = 16;

        /// <summary>The run an insert at <paramref name="position"/> makes in a node: one longer if it goes the way the last one went.</summary>
        private static byte RunWith(Node* node, int position)
        {
            int last = node->Last;
            if (last == 0)
            {
                return 1;
            }

            byte direction = position < last ? Descending : (byte)0;
            int length = (node->Run & Descending) == direction ? Math.Min((node->Run & RunLength) + 1, RunLength) : 1;
            return (byte)(length | direction);
        }

        /// <summary>Records the last insert in a node (its position, or -1 for none: positions moved) and its run.</summary>
        private static void NoteRun(Node* node, int position, byte run)
        {
            node->Last = (ushort)(position + 1);
            node->Run = run;
        }

        /// <summary>
        /// Where a full node splits for an insert at <paramref name="position"/>: the keys it keeps, and
        /// where the new key goes. In a run, the keys behind the run stay apart: ascending, the new key ends
        /// the left node (or, at the end, starts the right one); descending, it starts the right one (or,
        /// at the front, is the left one alone).
        /// </summary>
        private static int SplitPoint(int capacity, int position, byte run, out bool right, out int at)
        {
            if ((run & RunLength) >= RunToSplitAtInsert)
            {
                bool descending = (run & Descending) != 0;
                right = descending ? position > 0 : position == capacity;
                at = right ? 0 : position;
                return position;
            }

            int keep = capacity / 2;
            right = position > keep;
            at = right ? position - keep : position;
            return keep;
        }

        /// <summary>
        /// After a split, the run goes on in the node where its next insert will go: the one holding the
        /// new key, except in a descending run, which goes on at the end of the left node.
        /// </summary>
        private static void NoteSplitRun(Node* left, Node* right, Node* target, int at, byte run)
        {
            NoteRun(left, -1, 0);
            NoteRun(right, -1, 0);
            if ((run & Descending) != 0 && target == right && (run & RunLength) >= RunToSplitAtInsert)
            {
                NoteRun(left, left->Count, run);
            }
            else
            {
                NoteRun(target, at, run);
            }
        }

        /// <summary>
        /// In an ascending run that has reached the end of a full node, puts the new key (and child) at the
        /// front of the node's right sibling instead, if that has room: a split would leave the new key in
        /// a node of its own, which the run would leave behind nearly empty as soon as it reached the
        /// sibling's first key (recovery's keys "1060".."1069", after the node's last key "106").
        /// </summary>
        /// <returns>Whether the key went to the sibling.</returns>
        private bool TryOverflow(ref Path path, int level, uint entryNumber, uint childId, byte run)
        {
            if (level == 0 || (run & Descending) != 0 || (run & RunLength) < RunToSplitAtInsert)
            {
                return false;
            }

            Node* parent = At(path.Nodes[level - 1]);
            int index = path.Indexes[level - 1] + 1;
            if (index >= parent->Count)
            {
                return false;
            }

            Node* sibling = At(ChildrenOf(parent)[index]);
            if (sibling->Count >= CapacityOf(sibling))
            {
                return false;
            }

            // The key is after all of the node's keys and before the sibling's first (which it replaces in the parent).
            PutKey(sibling, 0, entryNumber, childId);
            NoteRun(sibling, 0, run);
            NoteRun(At(path.Nodes[level]), -1, 0);
            ReplaceKey(parent, index, entryNumber);
            return true;
        }
    }
}
