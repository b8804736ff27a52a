using System;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Files
{
    /// <summary>
    /// An open regular file read and written at explicit offsets (pread64/pwrite64), so one file can
    /// be used from several threads without a shared position. Reads, writes and syncs allocate
    /// nothing; every failure is a <see cref="SyscallException"/> naming the syscall and <see cref="Path"/>.
    /// </summary>
    /// <remarks>
    /// Creating, renaming or deleting a file is durable only once its directory is synced
    /// (<see cref="DirectoryHandle.Sync"/>); <see cref="Sync"/> and <see cref="DataSync"/> cover the
    /// file's contents, not its name.
    /// </remarks>
    public sealed unsafe class FileHandle : IDisposable
    {
        private FileHandle(FileDescriptor descriptor, string path)
        {
            Descriptor = descriptor;
            Path = path;
        }

        /// <summary>The owned descriptor. Closing it (or disposing this file) ends every operation.</summary>
        public FileDescriptor Descriptor { get; }

        /// <summary>The path the file was opened with; used in every error message.</summary>
        public string Path { get; }

        /// <summary>The file's size in bytes (fstat).</summary>
        public long Length
        {
            get
            {
                int fd = Acquire();
                try
                {
                    Stat stat;
                    nint result;
                    do
                    {
                        result = Sys.Fstat(fd, &stat);
                    }
                    while (result == -Sys.EINTR);

                    ThrowIfError(result, "fstat");
                    return stat.Size;
                }
                finally
                {
                    Descriptor.DangerousRelease();
                }
            }
        }

        /// <summary>
        /// Opens or creates <paramref name="path"/> (openat relative to the working directory, always
        /// O_CLOEXEC so child processes do not inherit it).
        /// </summary>
        /// <param name="path">The file's path.</param>
        /// <param name="mode">
        /// CreateNew: create, fail with EEXIST if it exists. Create: create or truncate. Open: must exist.
        /// OpenOrCreate: create if missing. Truncate: must exist, truncated. Append is not supported.
        /// </param>
        /// <param name="writable">Open read-write (true) or read-only (false).</param>
        /// <param name="permissions">Mode bits of a created file, before the umask; default 0644.</param>
        /// <returns>The open file.</returns>
        /// <exception cref="ArgumentException">Append, or a truncating mode with <paramref name="writable"/> false.</exception>
        /// <exception cref="SyscallException">openat failed ("openat /data/seg-1.log: ENOENT (No such file or directory)").</exception>
        public static FileHandle Open(string path, FileMode mode, bool writable = true, int permissions = 0x1A4 /* 0644 */)
            => OpenAt(Sys.AT_FDCWD, path, path, mode, writable, permissions);

        /// <summary>openat relative to <paramref name="directoryFd"/>; the caller keeps that descriptor open meanwhile.</summary>
        internal static FileHandle OpenAt(int directoryFd, string name, string path, FileMode mode, bool writable, int permissions)
        {
            int flags = OpenFlags(mode, writable);
            if ((uint)permissions > 0xFFF)
            {
                throw new ArgumentOutOfRangeException(nameof(permissions), permissions, "Permissions are mode bits 0..07777.");
            }

            nint result;
            using (var utf8 = new Utf8Path(name, stackalloc byte[Utf8Path.StackLimit]))
            {
                fixed (byte* p = utf8)
                {
                    // open can be interrupted while it waits (on a FIFO, on NFS); it has done nothing then.
                    do
                    {
                        result = Sys.Openat(directoryFd, p, flags, (uint)permissions);
                    }
                    while (result == -Sys.EINTR);
                }
            }

            return new FileHandle(FileDescriptor.FromResult(result, "openat", path), path);
        }

        /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> (pread64).</summary>
        /// <param name="buffer">Where to read to.</param>
        /// <param name="offset">The file offset, 0 or more.</param>
        /// <returns>The bytes read: fewer than asked near the end of the file, 0 at or past it.</returns>
        public int ReadAt(Span<byte> buffer, long offset)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            int fd = Acquire();
            try
            {
                fixed (byte* p = buffer)
                {
                    nint result = Pread(fd, p, (nuint)buffer.Length, offset);
                    ThrowIfError(result, "pread64");
                    return (int)result;
                }
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>, reading as often as it takes.</summary>
        /// <param name="buffer">Where to read to.</param>
        /// <param name="offset">The file offset, 0 or more.</param>
        /// <exception cref="EndOfStreamException">The file ends before the buffer is full.</exception>
        public void ReadExactlyAt(Span<byte> buffer, long offset)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            int fd = Acquire();
            try
            {
                fixed (byte* p = buffer)
                {
                    // A regular file reads short only at its end, but a signal or a file that another
                    // process truncates meanwhile can make any read short, so loop until full or 0.
                    nuint total = (nuint)buffer.Length;
                    nuint done = 0;
                    while (done < total)
                    {
                        nint result = Pread(fd, p + done, total - done, offset + (long)done);
                        ThrowIfError(result, "pread64");
                        if (result == 0)
                        {
                            ThrowEndOfFile(offset, buffer.Length, offset + (long)done);
                        }

                        done += (nuint)result;
                    }
                }
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/> (pwrite64, repeated over partial writes).</summary>
        /// <param name="data">The bytes to write.</param>
        /// <param name="offset">The file offset, 0 or more; past the end leaves a hole that reads as zeros.</param>
        /// <exception cref="SyscallException">pwrite64 failed (ENOSPC, EIO, …); part of the range may have been written.</exception>
        public void WriteAt(ReadOnlySpan<byte> data, long offset)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            int fd = Acquire();
            try
            {
                ThrowIfError(PwriteAll(fd, data, offset), "pwrite64");
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>
        /// <see cref="WriteAt"/> that never throws, for callers that must not throw on the hot path.
        /// </summary>
        /// <param name="data">The bytes to write.</param>
        /// <param name="offset">The file offset.</param>
        /// <returns>
        /// <paramref name="data"/>.Length once every byte is written, or -errno (EINTR already retried;
        /// -EBADF once disposed, -EINVAL for a negative offset). After an error part of the range may
        /// have been written: the kernel reports a short write first and the error on the next call.
        /// </returns>
        public nint TryWriteAt(ReadOnlySpan<byte> data, long offset)
        {
            if (offset < 0)
            {
                return -Sys.EINVAL;
            }

            if (!TryAcquire(out int fd))
            {
                return -Sys.EBADF;
            }

            try
            {
                return PwriteAll(fd, data, offset);
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>
        /// Makes the file's data durable (fdatasync): written bytes and the size, without metadata
        /// such as the modification time, so usually one disk flush fewer than <see cref="Sync"/>.
        /// </summary>
        /// <exception cref="SyscallException">
        /// fdatasync failed. After EIO the kernel may already have marked the failed pages clean, so
        /// a later sync can succeed without the data ever reaching the disk: treat it as fatal.
        /// </exception>
        public void DataSync() => ThrowIfError(TryDataSync(), "fdatasync");

        /// <summary><see cref="DataSync"/> that never throws.</summary>
        /// <returns>0, or -errno (EINTR already retried; -EBADF once disposed).</returns>
        public nint TryDataSync()
        {
            if (!TryAcquire(out int fd))
            {
                return -Sys.EBADF;
            }

            try
            {
                nint result;
                do
                {
                    result = Sys.Fdatasync(fd);
                }
                while (result == -Sys.EINTR);

                return result;
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>Makes the file's data and metadata durable (fsync). Not its name: see <see cref="DirectoryHandle.Sync"/>.</summary>
        public void Sync()
        {
            int fd = Acquire();
            try
            {
                nint result;
                do
                {
                    result = Sys.Fsync(fd);
                }
                while (result == -Sys.EINTR);

                ThrowIfError(result, "fsync");
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>Sets the file's size (ftruncate): cuts it, or extends it with a hole that reads as zeros.</summary>
        /// <param name="length">The new size, 0 or more.</param>
        public void Truncate(long length)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            int fd = Acquire();
            try
            {
                nint result;
                do
                {
                    result = Sys.Ftruncate(fd, length);
                }
                while (result == -Sys.EINTR);

                ThrowIfError(result, "ftruncate");
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>
        /// Reserves disk blocks for [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
        /// (fallocate, mode 0), extending the size if the range ends past it; later writes there cannot fail with ENOSPC.
        /// </summary>
        /// <param name="offset">Start of the range.</param>
        /// <param name="length">Length of the range, more than 0.</param>
        /// <exception cref="SyscallException">fallocate failed, including EOPNOTSUPP where the filesystem cannot (see <see cref="TryAllocate"/>).</exception>
        public void Allocate(long offset, long length)
        {
            nint result = Fallocate(offset, length, 0);
            ThrowIfError(result, "fallocate");
        }

        /// <summary><see cref="Allocate"/>, returning false where the filesystem does not support fallocate (EOPNOTSUPP).</summary>
        /// <param name="offset">Start of the range.</param>
        /// <param name="length">Length of the range, more than 0.</param>
        /// <param name="keepSize">
        /// Reserve the blocks without changing the file's size (FALLOC_FL_KEEP_SIZE): an append-only log
        /// keeps its length meaningful (where the records end) while its next writes cannot hit ENOSPC.
        /// </param>
        /// <returns>True if the blocks are reserved; false if the filesystem cannot reserve them.</returns>
        /// <exception cref="SyscallException">fallocate failed otherwise (ENOSPC, …).</exception>
        public bool TryAllocate(long offset, long length, bool keepSize = false)
        {
            nint result = Fallocate(offset, length, keepSize ? Sys.FALLOC_FL_KEEP_SIZE : 0);
            if (result == -Sys.EOPNOTSUPP)
            {
                return false;
            }

            ThrowIfError(result, "fallocate");
            return true;
        }

        /// <summary>
        /// Tells the kernel the file will be read front to back (fadvise64 POSIX_FADV_SEQUENTIAL), which
        /// doubles its read-ahead. A hint only: errors are ignored.
        /// </summary>
        public void AdviseSequential()
        {
            if (TryAcquire(out int fd))
            {
                try
                {
                    _ = Sys.Fadvise64(fd, 0, 0, Sys.POSIX_FADV_SEQUENTIAL);
                }
                finally
                {
                    Descriptor.DangerousRelease();
                }
            }
        }

        /// <summary>Closes the file (once; close is never retried). Unsynced data is not lost, but not durable either.</summary>
        public void Dispose() => Descriptor.Dispose();

        /// <inheritdoc/>
        public override string ToString() => Path;

        private static int OpenFlags(FileMode mode, bool writable)
        {
            int create = mode switch
            {
                FileMode.CreateNew => Sys.O_CREAT | Sys.O_EXCL,
                FileMode.Create => Sys.O_CREAT | Sys.O_TRUNC,
                FileMode.Open => 0,
                FileMode.OpenOrCreate => Sys.O_CREAT,
                FileMode.Truncate => Sys.O_TRUNC,

                // pwrite on an O_APPEND descriptor appends whatever offset it is given (a Linux bug that
                // pwrite(2) documents), which would silently break every positional write.
                FileMode.Append => throw new ArgumentException("FileMode.Append is not supported: FileHandle writes at explicit offsets.", nameof(mode)),
                _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown FileMode."),
            };

            // POSIX leaves O_TRUNC on a read-only open unspecified; Linux truncates the file anyway.
            if (!writable && (create & Sys.O_TRUNC) != 0)
            {
                throw new ArgumentException("FileMode." + mode + " truncates the file, which a read-only open must not do.", nameof(mode));
            }

            return create | (writable ? Sys.O_RDWR : Sys.O_RDONLY) | Sys.O_CLOEXEC;
        }

        // pread64 with EINTR retried; raw result.
        private static nint Pread(int fd, byte* buffer, nuint count, long offset)
        {
            nint result;
            do
            {
                result = Sys.Pread64(fd, buffer, count, offset);
            }
            while (result == -Sys.EINTR);

            return result;
        }

        // pwrite64 until every byte is written: a regular file writes short when the disk fills up or a
        // signal arrives mid-write, and the rest must then be written from where it stopped.
        private static nint PwriteAll(int fd, ReadOnlySpan<byte> data, long offset)
        {
            fixed (byte* start = data)
            {
                nuint total = (nuint)data.Length;
                nuint done = 0;
                while (done < total)
                {
                    nint result = Sys.Pwrite64(fd, start + done, total - done, offset + (long)done);
                    if (result > 0)
                    {
                        done += (nuint)result;
                    }
                    else if (result == 0)
                    {
                        // Not an error by POSIX, and not done by Linux for regular files; retrying could
                        // spin forever, so report it as the I/O error it would be.
                        return -Sys.EIO;
                    }
                    else if (result != -Sys.EINTR)
                    {
                        return result;
                    }
                }

                return (nint)total;
            }
        }

        private nint Fallocate(long offset, long length, int mode)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
            int fd = Acquire();
            try
            {
                nint result;
                do
                {
                    result = Sys.Fallocate(fd, mode, offset, length);
                }
                while (result == -Sys.EINTR);

                return result;
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        // Holds a reference on the descriptor for the duration of a call, so a concurrent Dispose
        // cannot close it mid-call and let the kernel hand its number to a file opened meanwhile (a
        // write would then land in the wrong file). Throws ObjectDisposedException once disposed.
        private int Acquire()
        {
            bool added = false;
            Descriptor.DangerousAddRef(ref added);
            return Descriptor.Value;
        }

        private bool TryAcquire(out int fd)
        {
            try
            {
                fd = Acquire();
                return true;
            }
            catch (ObjectDisposedException)
            {
                fd = -1;
                return false;
            }
        }

        private void ThrowIfError(nint result, string syscall)
        {
            if (Syscall.IsError(result))
            {
                ThrowSyscall(result, syscall);
            }
        }

        [DoesNotReturn]
        private void ThrowSyscall(nint result, string syscall)
            => throw new SyscallException(syscall, Errno.FromResult(result), Path);

        [DoesNotReturn]
        private void ThrowEndOfFile(long offset, int count, long end)
            => throw new EndOfStreamException(
                Path + ": the file ends at " + end + ", before the " + count + " bytes at offset " + offset + " were read.");
    }
}
