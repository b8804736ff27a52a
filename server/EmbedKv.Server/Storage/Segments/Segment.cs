using System.Threading;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Storage.Segments
{
    /// <summary>
    /// One segment file and its bookkeeping. <see cref="Length"/> is where the next record goes (only the
    /// active segment grows); <see cref="DeadBytes"/> counts records that a newer write or a delete made
    /// useless, which is what compaction reclaims. Counters change under the store's index lock.
    /// </summary>
    internal sealed class Segment
    {
        private int _pendingWrites;

        public Segment(uint id, IStorageFile file, long length, bool directorySynced)
        {
            Id = id;
            Handle = file;
            Length = length;
            DirectorySynced = directorySynced;
        }

        public uint Id { get; }

        public IStorageFile Handle { get; }

        public long Length { get; set; }

        public long DeadBytes { get; set; }

        /// <summary>False until the directory entry of a new segment has been made durable.</summary>
        public bool DirectorySynced { get; set; }

        /// <summary>Bytes of records in the segment, live or dead (its header excluded).</summary>
        public long RecordBytes => Length - Format.SegmentHeader.Size;

        public long LiveBytes => RecordBytes - DeadBytes;

        /// <summary>
        /// Whether records appended here still wait for the commit thread (Durability.Always): synced
        /// or not, they are not in the index yet. A merge must leave such a segment alone even once it is
        /// sealed, or it would take those records for dead, skip them, and retire the file that the
        /// index is about to point into (the committed write would be lost, or its sync would fail).
        /// </summary>
        public bool HasPendingWrites => Volatile.Read(ref _pendingWrites) > 0;

        /// <summary>Counts a record appended here and queued for the commit thread (under the write lock).</summary>
        public void AddPendingWrite() => Interlocked.Increment(ref _pendingWrites);

        /// <summary>The commit thread has put a queued record of this segment into the index.</summary>
        public void EndPendingWrite() => Interlocked.Decrement(ref _pendingWrites);

        /// <summary>Keeps the file open for a reader until <see cref="Release"/>, even if compaction retires it meanwhile.</summary>
        public void Acquire()
        {
            bool added = false;
            Handle.Descriptor.DangerousAddRef(ref added);
        }

        public void Release() => Handle.Descriptor.DangerousRelease();

        /// <summary>Closes the file once the last reader has released it.</summary>
        public void Retire() => Handle.Dispose();
    }
}
