using System;
using System.Collections.Generic;
using System.Diagnostics;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.Index;
using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>The write log's side of a checkpoint: deciding its point under the write lock.</summary>
    internal sealed partial class WriteLog
    {
        /// <summary>
        /// Decides a checkpoint's point: the last sequence handed out, and every file holding a write up to it,
        /// pinned, with the length that holds exactly those writes. Under the write lock, so no write is
        /// sequenced meanwhile; the lock is held for in-memory work only (no syscall but the pins' reference counts).
        /// </summary>
        public CheckpointPoint CapturePoint()
        {
            long start = Stopwatch.GetTimestamp();
            var files = new List<PinnedFile>();
            lock (_lock)
            {
                ThrowIfRefusing();
                try
                {
                    // Streamed values sequenced but not yet renamed and applied by the commit thread (Always):
                    // not in the catalog, yet their writes are at or below the point. Read before the catalog,
                    // so one the commit thread adds meanwhile is found there (and kept from there) instead.
                    PinUploads(_filling, files);
                    if (_committing is { } committing)
                    {
                        PinUploads(committing, files);
                    }

                    foreach (Segment segment in _catalog.AcquireAll())
                    {
                        int upload = files.FindIndex(f => f.Id == segment.Id);
                        if (upload >= 0)
                        {
                            files[upload].File.Descriptor.DangerousRelease();
                            files.RemoveAt(upload);
                        }

                        // Active: it grows after the point, so only its length now belongs to the checkpoint and it
                        // is copied. Sealed: nothing is appended any more (a merge output, a sealed segment), so
                        // a hard link shares bytes that cannot change. Full but unsealed: its seal is still to be
                        // appended, which a link would carry into the checkpoint mid-write; copied.
                        bool linkable = segment.Sealed && segment != _active;
                        files.Add(new PinnedFile(segment.Id, segment.Handle, segment.Length, linkable));
                    }
                }
                catch
                {
                    foreach (PinnedFile file in files)
                    {
                        file.File.Descriptor.DangerousRelease();
                    }

                    throw;
                }

                files.Sort((a, b) => a.Id.CompareTo(b.Id));
                return new CheckpointPoint(_lastSequence, files, Stopwatch.GetElapsedTime(start));
            }
        }

        private static void PinUploads(PendingBatch batch, List<PinnedFile> files)
        {
            for (int i = 0; i < batch.Count; i++)
            {
                ref PendingWrite write = ref batch[i];
                if (write.UploadFile is not { } file)
                {
                    continue;
                }

                bool added = false;
                try
                {
                    file.Descriptor.DangerousAddRef(ref added);
                }
                catch (ObjectDisposedException)
                {
                    // Aborted: its write failed, and with it the log (checked again when the checkpoint ends).
                    continue;
                }

                // The length from the batch, which the upload's own fields (reset once it is finished) are not.
                RecordLocation location = write.Location;
                long length = SegmentHeader.Size + RecordHeader.LengthOf(write.KeyLength, location.ValueLength, location.Expires != 0);
                files.Add(new PinnedFile(location.Segment, file, length, Linkable: false));
            }
        }
    }
}
