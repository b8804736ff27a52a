using System;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// Every message the store logs, as source-generated <see cref="LoggerMessage"/> methods: the level is
    /// checked before any argument is formatted, so a disabled level costs no allocation. Event ids are
    /// stable (2xx storage; the server's 1xx are in Diagnostics/ServerLog.cs) so log pipelines can filter on them.
    /// </summary>
    internal static partial class StorageLog
    {
        [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Deleted leftover {File} (a streamed value or merge output that never reached its commit point)")]
        public static partial void DeletedLeftover(ILogger logger, string file);

        [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "{File}: dropped a torn tail of {Bytes} bytes at offset {Offset} ({Problem})")]
        public static partial void DroppedTornTail(ILogger logger, string file, long bytes, long offset, string problem);

        [LoggerMessage(EventId = 230, Level = LogLevel.Warning, Message = "{File}: could not append its seal record (damage in its last round of writes may then pass for a torn tail)")]
        public static partial void SealFailed(ILogger logger, string file, Exception exception);

        [LoggerMessage(EventId = 202, Level = LogLevel.Warning, Message = "Deleted {File}, whose header was never written ({Bytes} bytes)")]
        public static partial void DeletedHeaderless(ILogger logger, string file, long bytes);

        [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Merged {Inputs} segments into {Outputs}")]
        public static partial void Merged(ILogger logger, int inputs, int outputs);

        [LoggerMessage(EventId = 208, Level = LogLevel.Information, Message = "Finished an interrupted merge of {Inputs} segments into {Outputs}")]
        public static partial void FinishedInterruptedMerge(ILogger logger, int inputs, int outputs);

        [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Merge failed, will retry later")]
        public static partial void MergeFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 205, Level = LogLevel.Critical, Message = "Refusing writes from now on: {Reason}")]
        public static partial void RefusingWrites(ILogger logger, string reason, Exception exception);

        [LoggerMessage(EventId = 206, Level = LogLevel.Warning, Message = "Could not reserve {Bytes} bytes for {File} ({Errno}); writing without a reservation")]
        public static partial void ReservationFailed(ILogger logger, long bytes, string file, string errno);

        [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Could not release the space reserved for {File}")]
        public static partial void ReleaseFailed(ILogger logger, string file, Exception exception);

        [LoggerMessage(EventId = 212, Level = LogLevel.Warning, Message = "The disk is full: refusing writes that need a new file, trying again at most every {Interval} ({Reason})")]
        public static partial void DiskFull(ILogger logger, TimeSpan interval, string reason);

        [LoggerMessage(EventId = 213, Level = LogLevel.Information, Message = "Space is free again: created {File}, taking writes")]
        public static partial void DiskSpaceBack(ILogger logger, string file);

        [LoggerMessage(EventId = 215, Level = LogLevel.Error, Message = "A write's completion callback threw; the write itself completed as {Outcome} and the commit thread goes on")]
        public static partial void CompletionFailed(ILogger logger, string outcome, Exception exception);

        [LoggerMessage(EventId = 216, Level = LogLevel.Critical, Message = "The commit thread met an unexpected failure; refusing writes from now on")]
        public static partial void CommitRoundFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 231, Level = LogLevel.Warning, Message = "The data directory {Path} has mode {Mode}: group or others can write to it, so they can delete or plant segments (the store leaves an existing directory's mode alone; chmod 700 it)")]
        public static partial void DirectoryWritableByOthers(ILogger logger, string path, string mode);

        [LoggerMessage(EventId = 232, Level = LogLevel.Information, Message = "Checkpoint of {Path} at sequence {Sequence}: {Linked} segments linked, {Copied} copied ({Bytes} bytes) in {Milliseconds} ms")]
        public static partial void CheckpointWritten(ILogger logger, string path, ulong sequence, int linked, int copied, long bytes, long milliseconds);

        [LoggerMessage(EventId = 214, Level = LogLevel.Warning, Message = "{File}: could not cut off a torn tail of {Bytes} bytes at offset {Offset} ({Reason}); the next open drops it again, and merging this segment fails until then")]
        public static partial void TornTailKept(ILogger logger, string file, long bytes, long offset, string reason);
    }
}
