using System.Diagnostics;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Writes;

namespace EmbedKv.Server.Storage.Checkpoints
{
    /// <summary>
    /// Writes a consistent, openable copy of a running store (docs/storage.md, "Checkpoints"), as RocksDB's
    /// checkpoints do: the point is decided under the write lock, sealed segments are hard-linked (their
    /// bytes never change again), and the rest is copied up to its length at the point. Only segment files
    /// are taken: a merge's manifest and <c>.tmp</c> outputs, and streamed values still arriving, never are.
    /// </summary>
    internal static class Checkpointer
    {
        /// <summary>
        /// Writes the checkpoint into a staging directory beside <paramref name="path"/> and renames it there once
        /// whole; on failure removes the staging directory and throws.
        /// </summary>
        public static CheckpointReport Write(WriteLog log, string path, bool copyInKernel, bool link)
        {
            long start = Stopwatch.GetTimestamp();
            StoreSchedule schedule = log.Options.Schedule;
            using CheckpointDirectory target = CheckpointDirectory.Create(path, copyInKernel);
            var report = new CheckpointReport { Path = target.Path };
            try
            {
                using (CheckpointPoint point = log.CapturePoint())
                {
                    report.Sequence = point.Sequence;
                    report.WriteLockHeld = point.LockHeld;
                    schedule.Point("checkpoint.pinned");
                    foreach (PinnedFile file in point.Files)
                    {
                        string name = FileNames.Segment(file.Id);
                        if (link && file.Linkable && log.Directory.TryLink(name, target))
                        {
                            report.SegmentsLinked++;
                            report.BytesLinked += file.Length;
                        }
                        else
                        {
                            // Unsealed, or on another filesystem, or deleted by a merge since the point: the pinned
                            // descriptor still reads the bytes that belong to the point.
                            target.Copy(file.File, file.Length, name);
                            report.SegmentsCopied++;
                            report.BytesCopied += file.Length;
                        }

                        schedule.Point("checkpoint.file");
                    }
                }

                target.SyncAll();

                // A write at or below the point whose sync then failed fails the log: the checkpoint may hold it
                // though its writer heard "failed", and the files it read may be what a failed sync left.
                if (log.Failure is { } failure)
                {
                    throw new StorageFailedException(failure);
                }

                schedule.Point("checkpoint.publish");
                target.Publish();
            }
            catch
            {
                target.Abandon();
                throw;
            }

            report.Elapsed = Stopwatch.GetElapsedTime(start);
            StorageLog.CheckpointWritten(log.Options.Logger, report.Path, report.Sequence, report.SegmentsLinked, report.SegmentsCopied, report.BytesCopied, (long)report.Elapsed.TotalMilliseconds);
            return report;
        }
    }
}
