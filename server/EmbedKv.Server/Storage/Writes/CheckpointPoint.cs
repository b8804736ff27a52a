using System;
using System.Collections.Generic;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>
    /// One segment file as a checkpoint takes it: its descriptor held open (so a merge that retires and
    /// deletes it meanwhile cannot close it), the length that belongs to the checkpoint, and whether its
    /// bytes up to there can no longer change, so a hard link shares them safely.
    /// </summary>
    internal readonly record struct PinnedFile(uint Id, IStorageFile File, long Length, bool Linkable);

    /// <summary>
    /// The point a checkpoint copies (docs/storage.md, "Checkpoints"), decided under the write lock: every
    /// write up to <see cref="Sequence"/> lies in <see cref="Files"/> within their lengths, and none after it.
    /// Dispose releases the pins.
    /// </summary>
    internal sealed class CheckpointPoint : IDisposable
    {
        private bool _released;

        public CheckpointPoint(ulong sequence, List<PinnedFile> files, TimeSpan held)
        {
            Sequence = sequence;
            Files = files;
            LockHeld = held;
        }

        public ulong Sequence { get; }

        public List<PinnedFile> Files { get; }

        /// <summary>How long capturing held the write lock (what writers in flight waited at most).</summary>
        public TimeSpan LockHeld { get; }

        public void Dispose()
        {
            if (_released)
            {
                return;
            }

            _released = true;
            foreach (PinnedFile file in Files)
            {
                file.File.Descriptor.DangerousRelease();
            }
        }
    }
}
