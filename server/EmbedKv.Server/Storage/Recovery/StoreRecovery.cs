using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EmbedKv.Server.Storage.Compaction;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.Index;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage.Recovery
{
    /// <summary>
    /// Opens a data directory the way docs/storage.md's recovery rule says: finish or discard an
    /// interrupted merge, delete leftovers, read every segment checking every CRC, truncate torn tails,
    /// fail on corruption in the middle of a segment, and rebuild the index by highest sequence.
    /// </summary>
    internal static class StoreRecovery
    {
        public static RecoveryReport Run(IStorageDirectory directory, Catalog catalog, StoreOptions options)
        {
            var report = new RecoveryReport();

            // Every key arrives in the log's order: the ordered index is built once, at the end.
            catalog.BeginRecovery();

            // Leftovers go first: deleting them frees space, which on a full disk finishing a merge may
            // need. A committed merge's outputs are .tmp files until it is finished, so then only streamed
            // values (.partial, never part of a merge) go before it.
            IReadOnlyList<string> names = directory.List();
            bool merging = names.Contains(FileNames.Manifest);
            foreach (string name in names)
            {
                if (FileNames.IsLeftover(name) && (!merging || name.EndsWith(FileNames.PartialSuffix, StringComparison.Ordinal)))
                {
                    DeleteLeftover(directory, name, options, report);
                }
            }

            MergeManifest.RecoverInterrupted(directory, options.Logger);

            var segmentIds = new List<uint>();
            foreach (string name in directory.List())
            {
                if (FileNames.TryParseSegment(name, out uint id))
                {
                    segmentIds.Add(id);
                }
                else if (FileNames.IsLeftover(name))
                {
                    DeleteLeftover(directory, name, options, report);
                }
            }

            segmentIds.Sort();
            var reader = new RecordReader();
            bool changed = report.LeftoversDeleted > 0;
            foreach (uint id in segmentIds)
            {
                changed |= RecoverSegment(directory, catalog, options, reader, id, report);
                report.LastSegmentId = Math.Max(report.LastSegmentId, id);
            }

            if (changed)
            {
                directory.Sync();
            }

            catalog.EndRecovery();
            report.Keys = catalog.Count;
            return report;
        }

        /// <summary>A streamed value or merge output that never reached its commit point.</summary>
        private static void DeleteLeftover(IStorageDirectory directory, string name, StoreOptions options, RecoveryReport report)
        {
            directory.TryDelete(name);
            StorageLog.DeletedLeftover(options.Logger, name);
            report.LeftoversDeleted++;
            report.LastSegmentId = Math.Max(report.LastSegmentId, IdOf(name));
        }

        private static bool RecoverSegment(IStorageDirectory directory, Catalog catalog, StoreOptions options, RecordReader reader, uint id, RecoveryReport report)
        {
            string name = FileNames.Segment(id);
            IStorageFile file = directory.Open(name, FileMode.Open);
            Segment? segment = null;
            try
            {
                // The segment joins the catalog before its first record, which the dead-byte accounting needs.
                long now = options.NowUnixSeconds();
                SegmentVerdict verdict = SegmentScan.Scan(file, id, reader, (key, record, offset) =>
                {
                    if (segment is null)
                    {
                        segment = new Segment(id, file, reader.Format.HeaderSize, directorySynced: true) { Format = reader.Format };
                        catalog.AddSegment(segment);
                    }

                    uint expires = (uint)Math.Min(record.Expires, uint.MaxValue);
                    segment.NoteExpiring(expires, record.RecordLength);
                    catalog.Recover(key, new RecordLocation(id, (uint)offset, (uint)record.ValueLength, record.Sequence, record.Tombstone, expires), now);
                    report.Records++;
                    report.LastSequence = Math.Max(report.LastSequence, record.Sequence);
                    segment.MaxSequence = Math.Max(segment.MaxSequence, record.Sequence);
                });

                switch (verdict.State)
                {
                    case SegmentState.Damaged:
                        throw new StorageCorruptedException(name, verdict.Offset, verdict.Detail ?? "damaged");
                    case SegmentState.TornHeader:
                        file.Dispose();
                        directory.TryDelete(name);
                        report.TornBytesDropped += verdict.Length;
                        StorageLog.DeletedHeaderless(options.Logger, name, verdict.Length);
                        return true;
                }

                if (segment is null)
                {
                    // No records (typically the active segment of a run that wrote nothing): it holds
                    // nothing, and every open starts a new one, so keeping it would pile up files and
                    // the blocks reserved for them. Its id still counts toward LastSegmentId.
                    file.Dispose();
                    directory.TryDelete(name);
                    report.TornBytesDropped += verdict.Length - verdict.ValidEnd;
                    return true;
                }

                segment.Length = verdict.ValidEnd;
                segment.Sealed = true; // never appended to again: every open starts a new active segment
                bool torn = verdict.State == SegmentState.TornTail;
                if (torn)
                {
                    // A torn tail: whatever a crash left of the last writes. Cut it off before appending
                    // anything, or the next crash's recovery would stop here and lose what follows.
                    long dropped = verdict.Length - verdict.ValidEnd;
                    try
                    {
                        file.Truncate(verdict.ValidEnd);
                    }
                    catch (StorageFullException e)
                    {
                        // A filesystem that needs space even to shrink a file (copy-on-write) and has none. Leaving
                        // the tail is safe: nothing is ever appended to a recovered segment, so every open drops
                        // it again, and a full disk must not keep the store from opening.
                        StorageLog.TornTailKept(options.Logger, name, dropped, verdict.ValidEnd, e.Cause.Message);
                        return false;
                    }

                    file.DataSync();
                    report.TornBytesDropped += dropped;
                    StorageLog.DroppedTornTail(options.Logger, name, dropped, verdict.ValidEnd, verdict.Detail ?? "unknown");
                }

                // Sealed segments were synced whole before their seal was written; the rest are synced here.
                segment.SyncedLength = segment.Length;
                if (!verdict.EndsSealed)
                {
                    // What a killed process wrote but never synced is in the page cache, and is served from
                    // now on: make it durable first, or a power cut could take back what readers saw, and a
                    // merge judging by it could retire the synced value it replaced. A failed sync fails the
                    // open (fsyncgate: the pages may be gone).
                    if (!torn)
                    {
                        file.DataSync();
                    }

                    if (verdict.Format.HasClaims)
                    {
                        Reseal(segment, options);
                    }
                }

                return torn;
            }
            catch
            {
                if (segment is not null)
                {
                    catalog.Remove(new[] { segment });
                }

                file.Dispose();
                throw;
            }
        }

        /// <summary>
        /// A crash took the seal, or the claim for the segment's last round, with it: every record of that
        /// round just checked and is synced now, so claim them. Otherwise damage appearing there later would
        /// pass for a torn tail at every open from now on. Best effort, like any seal: a full disk must not
        /// keep the store from opening, and a torn seal is cut off as a torn tail.
        /// </summary>
        private static void Reseal(Segment segment, StoreOptions options)
        {
            try
            {
                Span<byte> seal = stackalloc byte[RecordHeader.Size];
                RecordHeader.WriteSealRecord(seal, segment.Format, segment.Length, segment.Length);
                segment.Handle.WriteAt(seal, segment.Length);
                segment.Length += RecordHeader.Size;
            }
            catch (IOException e)
            {
                StorageLog.SealFailed(options.Logger, segment.Handle.Name, e);
            }
        }

        private static uint IdOf(string leftover)
        {
            string digits = leftover.Length >= 12 ? leftover.Substring(4, 8) : string.Empty;
            return uint.TryParse(digits, out uint id) ? id : 0;
        }
    }
}
