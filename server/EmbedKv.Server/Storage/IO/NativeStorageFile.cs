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

        public void WriteAt(ReadOnlySpan<byte> data, long offset)
        {
            try
            {
                _file.WriteAt(data, offset);
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        public void DataSync() => _file.DataSync();

        public void Truncate(long length)
        {
            try
            {
                _file.Truncate(length);
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        public bool TryPreallocate(long length)
        {
            try
            {
                return _file.TryAllocate(0, length, keepSize: true);
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        public void AdviseSequential() => _file.AdviseSequential();

        public void Dispose() => _file.Dispose();
    }
}
