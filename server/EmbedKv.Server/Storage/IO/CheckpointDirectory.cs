using System;
using System.Collections.Generic;
using System.IO;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>
    /// Where a checkpoint is written (docs/storage.md, "Checkpoints"): a directory that did not exist (created
    /// 0700) or was empty, files created 0600 beside the hard links, everything synced at the end, and what
    /// was written removed again if the checkpoint fails.
    /// </summary>
    internal sealed class CheckpointDirectory : IDisposable
    {
        private readonly DirectoryHandle _directory;
        private readonly bool _created;
        private readonly List<string> _names = new List<string>();

        private CheckpointDirectory(DirectoryHandle directory, bool created)
        {
            _directory = directory;
            _created = created;
        }

        public string Path => _directory.Path;

        internal DirectoryHandle Handle => _directory;

        /// <summary>
        /// Copies a range by copy_file_range where the kernel can (false: through a buffer only, as across
        /// filesystems on kernels that refuse it there). For tests of the copy path on one filesystem.
        /// </summary>
        internal bool CopyInKernel { get; init; } = true;

        /// <summary>Creates the target, or takes an existing empty directory.</summary>
        /// <exception cref="IOException">The path exists and is not an empty directory, or cannot be created.</exception>
        public static CheckpointDirectory Create(string path, bool copyInKernel = true)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            DirectoryHandle directory;
            bool created;
            try
            {
                directory = DirectoryHandle.Create(path, StoragePermissions.Directory, out created);
            }
            catch (SyscallException e) when (e.Errno.Value == Sys.ENOTDIR || e.Errno.Value == Sys.EEXIST)
            {
                throw new IOException("The checkpoint's target " + path + " exists and is not a directory.", e);
            }

            if (!created && !directory.IsEmpty())
            {
                directory.Dispose();
                throw new IOException("The checkpoint's target " + path + " exists and is not empty: a checkpoint goes to a new or empty directory.");
            }

            return new CheckpointDirectory(directory, created) { CopyInKernel = copyInKernel };
        }

        /// <summary>Notes a name linked here by <see cref="IStorageDirectory.TryLink"/>, for the final sync and the clean-up.</summary>
        public void Linked(string name) => _names.Add(name);

        /// <summary>Creates <paramref name="name"/> (0600) and copies <paramref name="length"/> bytes of <paramref name="source"/> into it.</summary>
        public void Copy(IStorageFile source, long length, string name)
        {
            _names.Add(name);
            using FileHandle file = StoragePermissions.OpenFile(_directory, name, FileMode.CreateNew, writable: true);
            try
            {
                FileRangeCopy.Copy(source.Descriptor, 0, file.Descriptor, 0, length, source.Name + " -> " + file.Path, CopyInKernel);
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        /// <summary>fsync of every file written or linked, then of the directory (and of its parent if it was created).</summary>
        public void SyncAll()
        {
            foreach (string name in _names)
            {
                // A linked file is the store's own, synced already; fsync of a clean file costs little, and
                // says so rather than assume it.
                using FileHandle file = _directory.OpenFile(name, FileMode.Open, writable: false);
                file.Sync();
            }

            _directory.Sync();
        }

        /// <summary>After a failure: removes every name written, and the directory if this created it. Best effort.</summary>
        public void Abandon()
        {
            foreach (string name in _names)
            {
                try
                {
                    _directory.TryDelete(name);
                }
                catch (IOException)
                {
                    // Left for the operator: the failure that abandoned the checkpoint is what they hear.
                }
            }

            if (_created)
            {
                _ = DirectoryHandle.TryRemoveEmpty(_directory.Path);
            }
        }

        public void Dispose() => _directory.Dispose();
    }
}
