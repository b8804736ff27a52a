using System.Collections.Generic;
using System.IO;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Files;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>The real data directory, on the runtime's file layer.</summary>
    internal sealed class NativeStorageDirectory : IStorageDirectory
    {
        private readonly DirectoryHandle _directory;

        private NativeStorageDirectory(DirectoryHandle directory) => _directory = directory;

        public string Path => _directory.Path;

        /// <summary>
        /// Opens the data directory, creating it 0700 if missing. An existing directory keeps its mode, but one
        /// that group or others can write to is logged (<paramref name="logger"/>): they could delete or plant segments.
        /// </summary>
        public static NativeStorageDirectory Open(string path, ILogger? logger = null)
        {
            DirectoryHandle directory = DirectoryHandle.Create(path, StoragePermissions.Directory, out bool created);
            try
            {
                uint permissions;
                if (!created && logger is not null && ((permissions = directory.Permissions) & StoragePermissions.WritableByOthers) != 0)
                {
                    StorageLog.DirectoryWritableByOthers(logger, directory.Path, StoragePermissions.Octal(permissions));
                }
            }
            catch
            {
                directory.Dispose();
                throw;
            }

            return new NativeStorageDirectory(directory);
        }

        public IStorageFile Open(string name, FileMode mode)
        {
            try
            {
                return new NativeStorageFile(name, StoragePermissions.OpenFile(_directory, name, mode, writable: true));
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        public void Rename(string from, string to)
        {
            try
            {
                _directory.Rename(from, to);
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        public bool TryDelete(string name) => _directory.TryDelete(name);

        public void Sync() => _directory.Sync();

        public IReadOnlyList<string> List() => _directory.ListFiles();

        public bool TryLock() => _directory.TryLockExclusive();

        public bool TryLink(string name, CheckpointDirectory target) => CheckpointLinks.TryLink(_directory, name, target);

        public void Dispose() => _directory.Dispose();
    }
}
