using System;
using EmbedKv.Server.Storage.Checkpoints;

namespace EmbedKv.Server.Storage
{
    /// <summary>Consistent copies of a running store.</summary>
    public sealed partial class KvStore
    {
        /// <summary>
        /// Writes a consistent copy of the store, as of one moment during the call, to <paramref name="path"/>: a
        /// new or empty directory, created 0700 with files 0600, every file and the directory synced before this
        /// returns. It holds every write acknowledged before the call and none that started after it (writes
        /// begun before it and not yet acknowledged may be in it). Sealed segments are hard-linked where the
        /// filesystem allows, the rest copied. Thread-safe, and writes go on meanwhile: the write lock is held
        /// only to decide the point. Blocks its caller for the copy, so never call it on an event loop.
        /// </summary>
        /// <param name="path">Where: must not exist, or be an empty directory.</param>
        /// <returns>The point (<see cref="CheckpointReport.Sequence"/>) and what was linked and copied.</returns>
        /// <exception cref="System.IO.IOException">The target exists and is not an empty directory, or writing it failed (what was written is removed).</exception>
        /// <exception cref="StorageFailedException">The store refuses writes (a failed sync), before or during the checkpoint.</exception>
        /// <exception cref="ObjectDisposedException">The store is closed.</exception>
        public CheckpointReport Checkpoint(string path)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            ObjectDisposedException.ThrowIf(_disposed != 0, this);
            return Checkpointer.Write(_log, path, CheckpointCopyInKernel, CheckpointLinks);
        }

        /// <summary>For tests: copy with copy_file_range where the kernel can (false: through a buffer only).</summary>
        internal bool CheckpointCopyInKernel { get; set; } = true;

        /// <summary>For tests: hard-link sealed segments (false: copy everything, as across filesystems).</summary>
        internal bool CheckpointLinks { get; set; } = true;
    }
}
