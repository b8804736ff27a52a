using System.Collections.Generic;
using System.IO;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Files;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>The real data directory, on the runtime's file layer.</summary>
    internal sealed class NativeStorageDirectory : IStorageDirectory
    {
        private readonly DirectoryHandle _directory;

        private NativeStorageDirectory(DirectoryHandle directory) => _directory = directory;

        public string Path => _directory.Path;

        public static NativeStorageDirectory Open(string path) => new NativeStorageDirectory(DirectoryHandle.Open(path, create: true));

        public IStorageFile Open(string name, FileMode mode)
        {
            try
            {
                return new NativeStorageFile(name, _directory.OpenFile(name, mode));
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

        public void Dispose() => _directory.Dispose();
    }
}
