using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>
    /// The write log's segments over their life: the active one rotated when full, its disk space
    /// reserved ahead, and each sealed once it takes no more appends and a sync covered all of it.
    /// </summary>
    internal sealed partial class WriteLog
    {
        /// <summary>
        /// Seals <paramref name="segment"/> if it takes no more appends and its last sync covered all of it
        /// (docs/storage.md, "Record": seal records). Called by the commit thread after each sync.
        /// </summary>
        public void SealIfSynced(Segment segment)
        {
            if (!segment.Full || segment.Sealed)
            {
                return;
            }

            lock (_lock)
            {
                TrySeal(segment);
            }
        }

        /// <summary>At close, after the last sync: seals every segment the last syncs covered whole.</summary>
        public void SealAllSynced()
        {
            lock (_lock)
            {
                foreach (Segment segment in _catalog.Segments())
                {
                    SealWhenSynced(segment);
                }
            }
        }

        /// <summary>Marks a segment that takes no more appends, and seals it now if it is synced whole already.</summary>
        private void SealWhenSynced(Segment segment)
        {
            segment.Full = true;
            TrySeal(segment);
        }

        /// <summary>
        /// Appends a seal record claiming the segment's whole length. Its claim is true (a completed sync
        /// covered it) and stays so (nothing more is appended), so damage anywhere before it is reported
        /// rather than cut off as a torn tail. Best effort: the seal need not reach the disk, and a failed
        /// write leaves at worst a torn seal, which recovery cuts off like any torn tail.
        /// </summary>
        private void TrySeal(Segment segment)
        {
            long length = segment.Length;
            if (segment.Sealed || _failure is not null || !segment.Format.HasClaims || segment.RecordBytes == 0 || segment.SyncedLength != length)
            {
                return;
            }

            segment.Sealed = true;
            Span<byte> seal = stackalloc byte[RecordHeader.Size];
            RecordHeader.WriteSealRecord(seal, segment.Format, length, length);
            try
            {
                segment.Handle.WriteAt(seal, length);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                StorageLog.SealFailed(_options.Logger, segment.Handle.Name, e);
                return;
            }

            _catalog.Grew(segment, RecordHeader.Size);
        }

        /// <summary>At close: gives back the blocks reserved past the active segment's last record.</summary>
        public void ReleaseActiveReservation()
        {
            lock (_lock)
            {
                if (_failure is null && _active is not null)
                {
                    ReleaseReservation(_active);
                }
            }
        }

        /// <summary>
        /// Reserves the segment's blocks, so that a full disk fails a write at pwrite, never at fdatasync.
        /// Best effort: on a nearly full disk the store must still open, serve reads and take the deletes
        /// that free space, so a refused reservation is logged and writes run unreserved.
        /// </summary>
        private void Reserve(IStorageFile file)
        {
            try
            {
                file.TryPreallocate(_options.SegmentSize);
            }
            catch (StorageFullException)
            {
                StorageLog.ReservationFailed(_options.Logger, _options.SegmentSize, file.Name, "ENOSPC");
            }
        }

        /// <summary>Starts a new active segment; on a full disk throws <see cref="StorageFullException"/> and changes nothing.</summary>
        [MemberNotNull(nameof(_active))]
        private void Rotate()
        {
            Segment next = CreateSegment();
            if (_active is not null)
            {
                MarkUnsynced(_active);
                ReleaseReservation(_active);
                SealWhenSynced(_active);
            }

            _active = next;
        }

        /// <summary>
        /// Frees the blocks that <see cref="CreateSegment"/> reserved past a segment's records, once no more
        /// records will go there. fallocate(KEEP_SIZE) blocks outlive the descriptor: without this every
        /// sealed segment (and the active one at each close) would hold up to SegmentSize of disk that no
        /// file size shows. A truncate to the current size changes no byte; failing it costs only space.
        /// </summary>
        private void ReleaseReservation(Segment segment)
        {
            try
            {
                segment.Handle.Truncate(segment.Length);
            }
            catch (IOException e)
            {
                StorageLog.ReleaseFailed(_options.Logger, segment.Handle.Name, e);
            }
        }

        /// <summary>
        /// Creates the next segment file. ENOSPC becomes <see cref="StorageFullException"/>, remembered so
        /// that writes needing a new file are refused from memory for a while (<see cref="DiskFullGate"/>).
        /// </summary>
        private Segment CreateSegment()
        {
            _diskFull.ThrowIfKnownFull();
            uint id = ++_lastSegmentId;
            string name = FileNames.Segment(id);
            IStorageFile file = _diskFull.CreateNew(_directory, name);

            SegmentFormat format;
            try
            {
                Span<byte> header = stackalloc byte[SegmentHeader.Size];
                format = SegmentHeader.Write(header, id);
                file.WriteAt(header, 0);

                Reserve(file);
            }
            catch (Exception e)
            {
                file.Dispose();
                _directory.TryDelete(name);
                if (e is StorageFullException full)
                {
                    throw _diskFull.Refused(full);
                }

                throw;
            }

            _diskFull.SpaceFound(name);
            var segment = new Segment(id, file, SegmentHeader.Size, directorySynced: false) { Format = format, FirstSequence = _lastSequence + 1 };
            _catalog.AddSegment(segment);
            return segment;
        }
    }
}
