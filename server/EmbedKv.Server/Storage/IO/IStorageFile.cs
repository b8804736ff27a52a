using System;
using EmbedKv.Runtime;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>
    /// One file of a data directory, as the store uses it. The store's writes and syncs all pass through
    /// this narrow interface so tests can swap in a fault-injecting file that loses unsynced data.
    /// Methods throw an <see cref="System.IO.IOException"/> on failure (the runtime's <see cref="SyscallException"/>),
    /// except that <c>ENOSPC</c> from <see cref="WriteAt"/>, <see cref="Truncate"/> and <see cref="TryPreallocate"/>
    /// is thrown as <see cref="StorageFullException"/>, wrapping the syscall's exception (<see cref="NoSpace"/>);
    /// <see cref="DataSync"/> never translates it.
    /// </summary>
    internal interface IStorageFile : IDisposable
    {
        /// <summary>The file's name within its directory.</summary>
        string Name { get; }

        /// <summary>The descriptor, for <c>sendfile</c> and for holding the file open while a read is in flight.</summary>
        FileDescriptor Descriptor { get; }

        long Length { get; }

        int ReadAt(Span<byte> buffer, long offset);

        void WriteAt(ReadOnlySpan<byte> data, long offset);

        void DataSync();

        void Truncate(long length);

        /// <summary>Reserves blocks up to <paramref name="length"/> without changing the size; false where unsupported.</summary>
        bool TryPreallocate(long length);

        /// <summary>Hints that the file will be read front to back (recovery, merge).</summary>
        void AdviseSequential();
    }
}
