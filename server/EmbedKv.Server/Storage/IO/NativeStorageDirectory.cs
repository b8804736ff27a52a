using System;
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

        public IStorageFile Open(string name, FileMode mode) => new NativeStorageFile(name, _directory.OpenFile(name, mode));

        public void Rename(string from, string to) => _directory.Rename(from, to);

        public bool TryDelete(string name) => _directory.TryDelete(name);

        public void Sync() => _directory.Sync();

        public IReadOnlyList<string> List() => _directory.ListFiles();

        public bool TryLock() => _directory.TryLockExclusive();

        public void Dispose() => _directory.Dispose();

        private sealed class NativeStorageFile : IStorageFile
        {
            private readonly FileHandle _file;

            public NativeStorageFile(string name, FileHandle file)
            {
                Name = name;
                _file = file;
            }

            public string Name { get; }

            public FileDescriptor Descriptor => _file.Descriptor;

            public long Length => _file.Length;

            public int ReadAt(Span<byte> buffer, long offset) => _file.ReadAt(buffer, offset);

            public void WriteAt(ReadOnlySpan<byte> data, long offset) => _file.WriteAt(data, offset);

            public void DataSync() => _file.DataSync();

            public void Truncate(long length) => _file.Truncate(length);

            public bool TryPreallocate(long length) => _file.TryAllocate(0, length, keepSize: true);

            public void AdviseSequential() => _file.AdviseSequential();

            public void Dispose() => _file.Dispose();
        }
    }
}
