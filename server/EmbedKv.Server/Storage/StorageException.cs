using System;
using System.IO;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// The store refuses writes: an earlier <c>fdatasync</c> (or another step that durability rests on)
    /// failed, so nothing written since can be promised durable. Reads still work; reopen the store.
    /// </summary>
    public sealed class StorageFailedException : IOException
    {
        /// <summary>Wraps the failure that stopped the store.</summary>
        /// <param name="cause">The failed operation.</param>
        public StorageFailedException(Exception cause)
            : base("the store refuses writes after a failed sync (reopen it to recover): " + cause.Message, cause)
        {
        }
    }

    /// <summary>A segment is damaged in a way a crash cannot explain; opening fails rather than skip data.</summary>
    public sealed class StorageCorruptedException : IOException
    {
        /// <summary>Describes the damage.</summary>
        /// <param name="file">The segment's file name.</param>
        /// <param name="offset">Offset of the bad record.</param>
        /// <param name="detail">What is wrong.</param>
        public StorageCorruptedException(string file, long offset, string detail)
            : base(file + " is corrupted at offset " + offset + ": " + detail)
        {
            File = file;
            Offset = offset;
        }

        /// <summary>The segment's file name.</summary>
        public string File { get; }

        /// <summary>Offset of the bad record.</summary>
        public long Offset { get; }
    }

    /// <summary>The data directory is held by another open store (this process or another).</summary>
    public sealed class StorageLockedException : IOException
    {
        /// <summary>Names the directory.</summary>
        /// <param name="directory">The data directory.</param>
        public StorageLockedException(string directory)
            : base("data directory " + directory + " is locked by another process (flock: EWOULDBLOCK)")
        {
        }
    }
}
