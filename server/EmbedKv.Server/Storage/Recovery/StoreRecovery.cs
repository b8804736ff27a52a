using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EmbedKv.Server.Diagnostics;
using EmbedKv.Server.Storage.Compaction;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Index;
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
            ServerLog.DeletedLeftover(options.Logger, name);
            report.LeftoversDeleted++;
            report.LastSegmentId = Math.Max(report.LastSegmentId, IdOf(name));
        }

        private static bool RecoverSegment(IStorageDirectory directory, Catalog catalog, StoreOptions options, RecordReader reader, uint id, RecoveryReport report)
        {
            string name = FileNames.Segment(id);
            IStorageFile file = directory.Open(name, FileMode.Open);
            try
            {
                Span<byte> header = stackalloc byte[SegmentHeader.Size];
                int read = file.ReadAt(header, 0);
                long length = file.Length;
                if (read < SegmentHeader.Size || !SegmentHeader.IsValid(header, id))
                {
                    return DropHeaderless(directory, file, name, id, length, options, report);
                }

                var segment = new Segment(id, file, SegmentHeader.Size, directorySynced: true);
                catalog.AddSegment(segment);
                reader.Open(file, SegmentHeader.Size);
                while (reader.TryReadNext(out ReadOnlySpan<byte> key))
                {
                    RecordHeader record = reader.Header;
                    catalog.Recover(key, new RecordLocation(id, (uint)reader.RecordOffset, (uint)record.ValueLength, record.Sequence, record.Tombstone));
                    report.Records++;
                    report.LastSequence = Math.Max(report.LastSequence, record.Sequence);
                    segment.MaxSequence = Math.Max(segment.MaxSequence, record.Sequence);
                }

                segment.Length = reader.Position;
                if (reader.Problem is null)
                {
                    if (segment.RecordBytes == 0)
                    {
                        // No records (typically the active segment of a run that wrote nothing): it holds
                        // nothing, and every open starts a new one, so keeping it would pile up files and
                        // the blocks reserved for them. Its id still counts toward LastSegmentId.
                        catalog.Remove(new[] { segment });
                        file.Dispose();
                        directory.TryDelete(name);
                        return true;
                    }

                    return false;
                }

                if (reader.AnyValidRecordAfter(reader.ProblemEnd, out long next))
                {
                    throw new StorageCorruptedException(name, reader.Position, reader.Problem + ", yet a valid record starts at " + next + " (so this is no torn tail)");
                }

                // A torn tail: whatever a crash left of the last writes. Cut it off before appending
                // anything, or the next crash's recovery would stop here and lose what follows.
                long dropped = length - reader.Position;
                try
                {
                    file.Truncate(reader.Position);
                }
                catch (EmbedKv.Runtime.SyscallException e) when (StorageFullException.IsNoSpace(e))
                {
                    // A filesystem that needs space even to shrink a file (copy-on-write) and has none. Leaving
                    // the tail is safe: nothing is ever appended to a recovered segment, so every open drops
                    // it again, and a full disk must not keep the store from opening.
                    ServerLog.TornTailKept(options.Logger, name, dropped, reader.Position, e.Message);
                    return false;
                }

                file.DataSync();
                report.TornBytesDropped += dropped;
                ServerLog.DroppedTornTail(options.Logger, name, dropped, reader.Position, reader.Problem ?? "unknown");
                return true;
            }
            catch
            {
                file.Dispose();
                throw;
            }
        }

        /// <summary>A segment whose header never reached the disk: created just before a crash, so it holds nothing acknowledged.</summary>
        private static bool DropHeaderless(IStorageDirectory directory, IStorageFile file, string name, uint id, long length, StoreOptions options, RecoveryReport report)
        {
            var scan = new RecordReader();
            scan.Open(file, 0);
            if (length > SegmentHeader.Size && scan.AnyValidRecordAfter(0, out long found))
            {
                throw new StorageCorruptedException(name, 0, "bad segment header; a valid record starts at " + found);
            }

            file.Dispose();
            directory.TryDelete(name);
            report.TornBytesDropped += length;
            ServerLog.DeletedHeaderless(options.Logger, name, length);
            return true;
        }

        private static uint IdOf(string leftover)
        {
            string digits = leftover.Length >= 12 ? leftover.Substring(4, 8) : string.Empty;
            return uint.TryParse(digits, out uint id) ? id : 0;
        }
    }
}
