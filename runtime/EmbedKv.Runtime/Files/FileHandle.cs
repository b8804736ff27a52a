// A regular file read and written at explicit offsets. Every call leases the descriptor
// (DescriptorLease), repeats over EINTR (Syscall.RetryInterrupted) and throws through Syscall.Check.
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
    internal sealed unsafe class FileHandle : IDisposable
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

        /// <summary>The file's size in bytes (statx).</summary>
        public long Length
        {
            get
            {
                using var lease = DescriptorLease.Acquire(Descriptor);
                return FileStatus.Of(lease.Fd, Sys.STATX_SIZE, Path).Size;
            }
        }

        /// <summary>The file's mode bits (statx's stx_mode without the file type): 0600 is 0x180.</summary>
        public uint Permissions
        {
            get
            {
                using var lease = DescriptorLease.Acquire(Descriptor);
                return PermissionsOf(lease.Fd, Path);
            }
        }

        /// <summary>
        /// Sets the file's mode bits (fchmod), exactly: the umask, which only narrows what open creates,
        /// plays no part. The descriptor's own access does not change.
        /// </summary>
        /// <param name="permissions">Mode bits, 0..07777.</param>
        public void SetPermissions(uint permissions)
        {
            using var lease = DescriptorLease.Acquire(Descriptor);
            SetPermissionsOf(lease.Fd, permissions, Path);
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
            int flags = OpenFlags.For(mode, writable);
            if ((uint)permissions > 0xFFF)
            {
                throw new ArgumentOutOfRangeException(nameof(permissions), permissions, "Permissions are mode bits 0..07777.");
            }

            using var utf8 = new Utf8Path(name, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = utf8)
            {
                // open can be interrupted while it waits (on a FIFO, on NFS); it has done nothing then.
                nint result = Syscall.RetryInterrupted(
                    (Directory: directoryFd, Name: (nint)p, Flags: flags, Mode: (uint)permissions),
                    static s => Sys.Openat(s.Directory, (byte*)s.Name, s.Flags, s.Mode));
                return new FileHandle(FileDescriptor.FromResult(result, "openat", path), path);
            }
        }

        /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/> (pread64).</summary>
        /// <param name="buffer">Where to read to.</param>
        /// <param name="offset">The file offset, 0 or more.</param>
        /// <returns>The bytes read: fewer than asked near the end of the file, 0 at or past it.</returns>
        public int ReadAt(Span<byte> buffer, long offset)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            using var lease = DescriptorLease.Acquire(Descriptor);
            fixed (byte* p = buffer)
            {
                return (int)Syscall.Check(Pread(lease.Fd, p, (nuint)buffer.Length, offset), "pread64", Path);
            }
        }

        /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>, reading as often as it takes.</summary>
        /// <param name="buffer">Where to read to.</param>
        /// <param name="offset">The file offset, 0 or more.</param>
        /// <exception cref="EndOfStreamException">The file ends before the buffer is full.</exception>
        public void ReadExactlyAt(Span<byte> buffer, long offset)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            using var lease = DescriptorLease.Acquire(Descriptor);
            fixed (byte* p = buffer)
            {
                // A regular file reads short only at its end, but a signal or a file that another
                // process truncates meanwhile can make any read short, so loop until full or 0.
                nuint total = (nuint)buffer.Length;
                for (nuint done = 0; done < total;)
                {
                    nint result = Syscall.Check(Pread(lease.Fd, p + done, total - done, offset + (long)done), "pread64", Path);
                    if (result == 0)
                    {
                        ThrowEndOfFile(offset, buffer.Length, offset + (long)done);
                    }

                    done += (nuint)result;
                }
            }
        }

        /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/> (pwrite64, repeated over partial writes).</summary>
        /// <param name="data">The bytes to write.</param>
        /// <param name="offset">The file offset, 0 or more; past the end leaves a hole that reads as zeros.</param>
        /// <exception cref="SyscallException">pwrite64 failed (ENOSPC, EIO, …); part of the range may have been written.</exception>
        public void WriteAt(ReadOnlySpan<byte> data, long offset)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            using var lease = DescriptorLease.Acquire(Descriptor);
            Syscall.Check(PwriteAll(lease.Fd, data, offset), "pwrite64", Path);
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

            using var lease = DescriptorLease.TryAcquire(Descriptor);
            return lease.IsHeld ? PwriteAll(lease.Fd, data, offset) : -Sys.EBADF;
        }

        /// <summary>
        /// Makes the file's data durable (fdatasync): written bytes and the size, without metadata
        /// such as the modification time, so usually one disk flush fewer than <see cref="Sync"/>.
        /// </summary>
        /// <exception cref="SyscallException">
        /// fdatasync failed. After EIO the kernel may already have marked the failed pages clean, so
        /// a later sync can succeed without the data ever reaching the disk: treat it as fatal.
        /// </exception>
        public void DataSync() => Syscall.Check(TryDataSync(), "fdatasync", Path);

        /// <summary><see cref="DataSync"/> that never throws.</summary>
        /// <returns>0, or -errno (EINTR already retried; -EBADF once disposed).</returns>
        public nint TryDataSync()
        {
            using var lease = DescriptorLease.TryAcquire(Descriptor);
            return lease.IsHeld ? Syscall.RetryInterrupted(lease.Fd, static fd => Sys.Fdatasync(fd)) : -Sys.EBADF;
        }

        /// <summary>Makes the file's data and metadata durable (fsync). Not its name: see <see cref="DirectoryHandle.Sync"/>.</summary>
        public void Sync()
        {
            using var lease = DescriptorLease.Acquire(Descriptor);
            Syscall.Check(Syscall.RetryInterrupted(lease.Fd, static fd => Sys.Fsync(fd)), "fsync", Path);
        }

        /// <summary>Sets the file's size (ftruncate): cuts it, or extends it with a hole that reads as zeros.</summary>
        /// <param name="length">The new size, 0 or more.</param>
        public void Truncate(long length)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            using var lease = DescriptorLease.Acquire(Descriptor);
            Syscall.Check(Syscall.RetryInterrupted((lease.Fd, Length: length), static s => Sys.Ftruncate(s.Fd, s.Length)), "ftruncate", Path);
        }

        /// <summary>
        /// Reserves disk blocks for [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
        /// (fallocate, mode 0), extending the size if the range ends past it; later writes there cannot fail with ENOSPC.
        /// </summary>
        /// <param name="offset">Start of the range.</param>
        /// <param name="length">Length of the range, more than 0.</param>
        /// <exception cref="SyscallException">fallocate failed, including EOPNOTSUPP where the filesystem cannot (see <see cref="TryAllocate"/>).</exception>
        public void Allocate(long offset, long length) => Syscall.Check(Fallocate(offset, length, 0), "fallocate", Path);

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

            Syscall.Check(result, "fallocate", Path);
            return true;
        }

        /// <summary>
        /// Tells the kernel the file will be read front to back (fadvise64 POSIX_FADV_SEQUENTIAL), which
        /// doubles its read-ahead. A hint only: errors are ignored.
        /// </summary>
        public void AdviseSequential()
        {
            using var lease = DescriptorLease.TryAcquire(Descriptor);
            if (lease.IsHeld)
            {
                _ = Sys.Fadvise64(lease.Fd, 0, 0, Sys.POSIX_FADV_SEQUENTIAL);
            }
        }

        /// <summary>Closes the file (once; close is never retried). Unsynced data is not lost, but not durable either.</summary>
        public void Dispose() => Descriptor.Dispose();

        /// <inheritdoc/>
        public override string ToString() => Path;

        /// <summary>statx's mode bits of a leased descriptor (a file's or a directory's).</summary>
        internal static uint PermissionsOf(int fd, string path) => FileStatus.Of(fd, Sys.STATX_MODE, path).Permissions;

        /// <summary>fchmod of a leased descriptor (a file's or a directory's).</summary>
        internal static void SetPermissionsOf(int fd, uint permissions, string path)
        {
            ArgumentOutOfRangeException.ThrowIfGreaterThan(permissions, 0xFFFu);
            Syscall.Check(Syscall.RetryInterrupted((Fd: fd, Mode: permissions), static s => Sys.Fchmod(s.Fd, s.Mode)), "fchmod", path);
        }

        private static nint Pread(int fd, byte* buffer, nuint count, long offset)
            => Syscall.RetryInterrupted(
                (Fd: fd, Buffer: (nint)buffer, Count: count, Offset: offset),
                static s => Sys.Pread64(s.Fd, (byte*)s.Buffer, s.Count, s.Offset));

        // pwrite64 until every byte is written: a regular file writes short when the disk fills up or a
        // signal arrives mid-write, and the rest must then be written from where it stopped.
        private static nint PwriteAll(int fd, ReadOnlySpan<byte> data, long offset)
        {
            fixed (byte* start = data)
            {
                nuint total = (nuint)data.Length;
                for (nuint done = 0; done < total;)
                {
                    nint result = Syscall.RetryInterrupted(
                        (Fd: fd, Buffer: (nint)(start + done), Count: total - done, Offset: offset + (long)done),
                        static s => Sys.Pwrite64(s.Fd, (byte*)s.Buffer, s.Count, s.Offset));
                    if (result < 0)
                    {
                        return result;
                    }

                    // 0 is not an error by POSIX, and Linux never does it for regular files; retrying could
                    // spin forever, so report it as the I/O error it would be.
                    if (result == 0)
                    {
                        return -Sys.EIO;
                    }

                    done += (nuint)result;
                }

                return (nint)total;
            }
        }

        private nint Fallocate(long offset, long length, int mode)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
            using var lease = DescriptorLease.Acquire(Descriptor);
            return Syscall.RetryInterrupted(
                (lease.Fd, Mode: mode, Offset: offset, Length: length),
                static s => Sys.Fallocate(s.Fd, s.Mode, s.Offset, s.Length));
        }

        [DoesNotReturn]
        private void ThrowEndOfFile(long offset, int count, long end)
            => throw new EndOfStreamException(
                Path + ": the file ends at " + end + ", before the " + count + " bytes at offset " + offset + " were read.");
    }
}
