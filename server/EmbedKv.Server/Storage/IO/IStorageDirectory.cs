using System;
using System.Collections.Generic;
using System.IO;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>
    /// The data directory's operations the store needs (see <see cref="IStorageFile"/> for why an interface, and
    /// how failures are thrown): <c>ENOSPC</c> from <see cref="Open"/> and <see cref="Rename"/> is thrown as
    /// <see cref="StorageFullException"/>; <see cref="Sync"/> never translates it.
    /// </summary>
    internal interface IStorageDirectory : IDisposable
    {
        string Path { get; }

        IStorageFile Open(string name, FileMode mode);

        /// <summary>Renames within the directory, replacing <paramref name="to"/> atomically.</summary>
        void Rename(string from, string to);

        bool TryDelete(string name);

        /// <summary>fsync of the directory: makes creations, renames and deletions in it durable.</summary>
        void Sync();

        IReadOnlyList<string> List();

        /// <summary>Takes the directory's exclusive lock; false if another holder has it.</summary>
        bool TryLock();

        /// <summary>
        /// Hard-links the file <paramref name="name"/> into a checkpoint under the same name. False where it cannot
        /// be linked (another filesystem, a filesystem without hard links, the link limit) or is gone (a merge
        /// deleted it): the caller copies it then. Other failures throw.
        /// </summary>
        bool TryLink(string name, CheckpointDirectory target);
    }
}
