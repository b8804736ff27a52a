using System;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Files;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>A file of a data directory, on the runtime's file layer.</summary>
    internal sealed class NativeStorageFile : IStorageFile
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
