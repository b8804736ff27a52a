using System;
using System.Threading;
using EmbedKv.Server.Storage.Format;
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
        private ulong _maxSequence;
        private bool _retired;
        private long _syncedLength;

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

        /// <summary>Its format version and salt: what its records' CRCs start from.</summary>
        public SegmentFormat Format { get; init; }

        /// <summary>Bytes of records in the segment, live or dead (its header excluded; seal records included).</summary>
        public long RecordBytes => Length - Format.HeaderSize;

        /// <summary>
        /// The length the last completed fdatasync covered: what the segment's next record claims as its
        /// SyncedTo (docs/storage.md, "The recovery rule"). Only ever raised, and only after the sync returned.
        /// </summary>
        public long SyncedLength
        {
            get => Volatile.Read(ref _syncedLength);
            set => Volatile.Write(ref _syncedLength, value);
        }

        /// <summary>True once the segment takes no more appends (set under the write lock).</summary>
        public bool Full { get; set; }

        /// <summary>True once its seal record is written, or it needs none (set under the write lock).</summary>
        public bool Sealed { get; set; }

        public long LiveBytes => RecordBytes - DeadBytes;

        /// <summary>
        /// The sequence the segment's first append got, for an active segment (0 for merge outputs and
        /// streamed values): a merge must not drop an expired record newer than it while it is excluded.
        /// </summary>
        public ulong FirstSequence { get; init; }

        /// <summary>The earliest expiry of the segment's records (Unix seconds); 0 if none expires.</summary>
        public uint EarliestExpiry { get; private set; }

        /// <summary>The latest expiry of the segment's records (Unix seconds); 0 if none expires.</summary>
        public uint LatestExpiry { get; private set; }

        /// <summary>Bytes of the segment's records that expire (dead or not).</summary>
        public long ExpiringBytes { get; private set; }

        /// <summary>Whether some record of the segment has expired by <paramref name="now"/>, so a merge may reclaim it.</summary>
        public bool HasExpiredBy(long now) => EarliestExpiry != 0 && EarliestExpiry <= now;

        /// <summary>Records that a record of <paramref name="bytes"/> expiring at <paramref name="expires"/> was added (under the catalog's lock once the segment is in it).</summary>
        public void NoteExpiring(uint expires, long bytes)
        {
            if (expires == 0)
            {
                return;
            }

            EarliestExpiry = EarliestExpiry == 0 ? expires : Math.Min(EarliestExpiry, expires);
            LatestExpiry = Math.Max(LatestExpiry, expires);
            ExpiringBytes += bytes;
        }

        /// <summary>
        /// The highest sequence number of any record written here (0 while it has none). A merge takes a
        /// segment only when this is at or below the sequence it waited for, so it never judges a record
        /// that is not in the index yet (docs/storage.md, "Compaction"). Written under the write lock or
        /// before the segment is shared; read by the merge.
        /// </summary>
        public ulong MaxSequence
        {
            get => Volatile.Read(ref _maxSequence);
            set => Volatile.Write(ref _maxSequence, value);
        }

        /// <summary>fdatasync, then records what it covered: bytes appended before the call are covered by it.</summary>
        public void SyncData()
        {
            long covered = Length;
            Handle.DataSync();
            if (covered > SyncedLength)
            {
                SyncedLength = covered;
            }
        }

        /// <summary>Keeps the file open for a reader until <see cref="Release"/>, even if compaction retires it meanwhile.</summary>
        public void Acquire()
        {
            bool added = false;
            Handle.Descriptor.DangerousAddRef(ref added);
        }

        /// <summary>Like <see cref="Acquire"/>, but false (and nothing held) if the segment was already retired.</summary>
        public bool TryAcquire()
        {
            bool added = false;
            try
            {
                Handle.Descriptor.DangerousAddRef(ref added);
            }
            catch (System.ObjectDisposedException)
            {
                return false;
            }

            return added;
        }

        public void Release() => Handle.Descriptor.DangerousRelease();

        /// <summary>Whether a merge (or the store's close) retired the segment: its file is gone or going.</summary>
        public bool IsRetired => Volatile.Read(ref _retired);

        /// <summary>Closes the file once the last reader has released it.</summary>
        public void Retire()
        {
            Volatile.Write(ref _retired, true);
            Handle.Dispose();
        }
    }
}
