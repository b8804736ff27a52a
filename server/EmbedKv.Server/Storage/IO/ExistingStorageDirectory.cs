using System;
using System.Collections.Generic;
using System.IO;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Files;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>
    /// A data directory that must already exist, for <c>check</c> and <c>check --repair</c>: a check of a
    /// mistyped path must say so rather than create an empty store there, and a check that promises to
    /// change nothing opens every file read-only, so a bug in it cannot write.
    /// </summary>
    internal sealed class ExistingStorageDirectory : IStorageDirectory
    {
        private readonly DirectoryHandle _directory;
        private readonly bool _writable;

        private ExistingStorageDirectory(DirectoryHandle directory, bool writable)
        {
            _directory = directory;
            _writable = writable;
        }

        public string Path => _directory.Path;

        /// <summary>Opens the directory; throws <see cref="SyscallException"/> (ENOENT, ENOTDIR) if it is not one.</summary>
        public static ExistingStorageDirectory Open(string path, bool writable) => new ExistingStorageDirectory(DirectoryHandle.Open(path, create: false), writable);

        public IStorageFile Open(string name, FileMode mode)
        {
            try
            {
                return new NativeStorageFile(name, StoragePermissions.OpenFile(_directory, name, mode, _writable));
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        public void Rename(string from, string to)
        {
            CheckWritable();
            try
            {
                _directory.Rename(from, to);
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        public bool TryDelete(string name)
        {
            CheckWritable();
            return _directory.TryDelete(name);
        }

        public void Sync()
        {
            CheckWritable();
            _directory.Sync();
        }

        public IReadOnlyList<string> List() => _directory.ListFiles();

        public bool Exists(string name) => _directory.Exists(name);

        public bool TryLock() => _directory.TryLockExclusive();

        public bool TryLink(string name, CheckpointDirectory target) => CheckpointLinks.TryLink(_directory, name, target);

        public void Dispose() => _directory.Dispose();

        private void CheckWritable()
        {
            if (!_writable)
            {
                throw new InvalidOperationException("a check opens " + Path + " read-only and must not change it");
            }
        }
    }
}
