using System;

namespace EmbedKv.Server.Storage
{
    /// <summary>What <see cref="KvStore.Checkpoint"/> wrote (docs/storage.md, "Checkpoints").</summary>
    public sealed class CheckpointReport
    {
        internal CheckpointReport()
        {
        }

        /// <summary>The checkpoint's directory.</summary>
        public string Path { get; internal set; } = string.Empty;

        /// <summary>
        /// The checkpoint's point: every write with a version (sequence) at or below it is in the checkpoint, none
        /// above it. Every write acknowledged before the call is at or below it.
        /// </summary>
        public ulong Sequence { get; internal set; }

        /// <summary>Segments hard-linked from the data directory (sealed ones, on the same filesystem).</summary>
        public int SegmentsLinked { get; internal set; }

        /// <summary>Segments copied: the active one up to the point, unsealed ones, and every one that could not be linked.</summary>
        public int SegmentsCopied { get; internal set; }

        /// <summary>Bytes of the segments linked (shared with the data directory, not written).</summary>
        public long BytesLinked { get; internal set; }

        /// <summary>Bytes copied.</summary>
        public long BytesCopied { get; internal set; }

        /// <summary>How long deciding the point held the write lock: the most any write waited for the checkpoint.</summary>
        public TimeSpan WriteLockHeld { get; internal set; }

        /// <summary>The whole checkpoint, syncs included.</summary>
        public TimeSpan Elapsed { get; internal set; }
    }
}
