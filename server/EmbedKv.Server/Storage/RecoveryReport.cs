namespace EmbedKv.Server.Storage
{
    /// <summary>What opening a store found on disk.</summary>
    public sealed class RecoveryReport
    {
        internal RecoveryReport()
        {
        }

        /// <summary>Live keys after recovery.</summary>
        public int Keys { get; internal set; }

        /// <summary>Records read and checked (live or dead).</summary>
        public long Records { get; internal set; }

        /// <summary>Bytes cut off torn tails (writes a crash interrupted; never acknowledged ones under Always).</summary>
        public long TornBytesDropped { get; internal set; }

        /// <summary>Unfinished streamed values and merge outputs that were deleted.</summary>
        public int LeftoversDeleted { get; internal set; }

        internal uint LastSegmentId { get; set; }

        internal ulong LastSequence { get; set; }
    }
}
