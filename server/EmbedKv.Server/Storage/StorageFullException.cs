using System;
using System.IO;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// The store refused a write because the disk is full (<c>ENOSPC</c>): nothing of it was stored, and the
    /// store is otherwise whole. Unlike <see cref="StorageFailedException"/> this passes: writes work again
    /// once space is freed, without reopening the store (docs/storage.md, "Disk full").
    /// </summary>
    public sealed class StorageFullException : IOException
    {
        /// <summary>Wraps the refused operation.</summary>
        /// <param name="cause">The syscall that failed with ENOSPC.</param>
        public StorageFullException(Exception cause)
            : base("the disk is full (ENOSPC): the write was refused and nothing was stored; writes resume once space is freed: " + cause.Message, cause)
        {
        }

        /// <summary>
        /// What to report instead when this refusal did not leave the store whole (it failed the log: a partial
        /// record could not be cut back, or a commit step was refused): the operation's own failure, as for any errno.
        /// </summary>
        internal Exception Cause => InnerException ?? this;
    }
}
