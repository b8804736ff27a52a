// An open directory and the *at calls made relative to it. Every call leases the descriptor
// (DescriptorLease), repeats over EINTR (Syscall.RetryInterrupted) and throws through Syscall.Check,
// or Syscall.Throw where the message names a path built only on failure.
using System;
using System.Buffers;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Files
{
    /// <summary>
    /// An open directory whose files are opened, renamed and deleted relative to its descriptor (the
    /// *at syscalls), so they stay in this directory even if it is renamed meanwhile, and whose
    /// <see cref="Sync"/> makes those changes durable. Names are plain names: no '/', not "." or "..".
    /// </summary>
    internal sealed unsafe class DirectoryHandle : IDisposable
    {
        private const int ListBufferSize = 32 * 1024;

        // Not const: O_DIRECTORY differs by architecture, so the generated constant is a static readonly field.
        private static readonly int DirectoryFlags = Sys.O_DIRECTORY | Sys.O_RDONLY | Sys.O_CLOEXEC;

        // getdents64 reads from the descriptor's shared position, so two listings at once would interleave.
        private readonly object _listLock = new object();

        private DirectoryHandle(FileDescriptor descriptor, string path)
        {
            Descriptor = descriptor;
            Path = path;
        }

        /// <summary>The path the directory was opened with, without trailing slashes; used in every error message.</summary>
        public string Path { get; }

        /// <summary>The owned descriptor (O_DIRECTORY | O_RDONLY | O_CLOEXEC).</summary>
        public FileDescriptor Descriptor { get; }

        /// <summary>Opens the directory at <paramref name="path"/>, creating it and its parents first if asked.</summary>
        /// <param name="path">The directory's path.</param>
        /// <param name="create">
        /// Create missing directories like <c>mkdir -p</c> (mode 0755 before the umask); each one created is
        /// made durable by syncing its parent.
        /// </param>
        /// <returns>The open directory.</returns>
        /// <exception cref="SyscallException">mkdirat or openat failed (ENOTDIR if the path is a file).</exception>
        public static DirectoryHandle Open(string path, bool create = false)
        {
            ArgumentNullException.ThrowIfNull(path);
            string trimmed = DirectoryPath.TrimTrailingSlashes(path);
            if (create)
            {
                DirectoryCreation.CreateAll(trimmed);
            }

            return OpenTrimmed(trimmed);
        }

        /// <summary>
        /// Opens the directory at <paramref name="path"/>, creating it (and its parents, 0755 before the umask)
        /// if missing. A directory created here gets exactly <paramref name="permissions"/>, whatever the umask:
        /// fchmod after mkdir, so a umask of 0 cannot widen it and one of 0277 cannot leave it unwritable.
        /// An existing directory keeps its mode.
        /// </summary>
        /// <param name="path">The directory's path.</param>
        /// <param name="permissions">Mode bits (0..07777) of the directory if it is created.</param>
        /// <param name="created">Whether the directory itself was created by this call.</param>
        /// <returns>The open directory.</returns>
        /// <exception cref="SyscallException">mkdirat, openat or fchmod failed.</exception>
        public static DirectoryHandle Create(string path, uint permissions, out bool created)
        {
            ArgumentNullException.ThrowIfNull(path);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(permissions, 0xFFFu);
            string trimmed = DirectoryPath.TrimTrailingSlashes(path);
            created = DirectoryCreation.CreateAll(trimmed, permissions);
            DirectoryHandle directory = OpenTrimmed(trimmed);
            if (created)
            {
                try
                {
                    directory.SetPermissions(permissions);
                }
                catch
                {
                    directory.Dispose();
                    throw;
                }
            }

            return directory;
        }

        /// <summary>The directory's mode bits (statx's stx_mode without the file type): 0700 is 0x1C0.</summary>
        public uint Permissions
        {
            get
            {
                using var lease = DescriptorLease.Acquire(Descriptor);
                return FileHandle.PermissionsOf(lease.Fd, Path);
            }
        }

        /// <summary>Sets the directory's mode bits (fchmod), exactly: the umask plays no part.</summary>
        /// <param name="permissions">Mode bits, 0..07777.</param>
        public void SetPermissions(uint permissions)
        {
            using var lease = DescriptorLease.Acquire(Descriptor);
            FileHandle.SetPermissionsOf(lease.Fd, permissions, Path);
        }

        /// <summary>
        /// Makes <paramref name="targetName"/> in <paramref name="target"/> a hard link to the file
        /// <paramref name="name"/> here (linkat, not following a symbolic link): one file under two names,
        /// sharing its data and mode. Durable once <paramref name="target"/> is synced.
        /// </summary>
        /// <param name="name">A name in this directory.</param>
        /// <param name="target">The directory to link into (this one or another).</param>
        /// <param name="targetName">The new name there; must not exist.</param>
        /// <returns>
        /// 0, or -errno without throwing, so the caller can tell "cannot link here" (EXDEV across filesystems,
        /// EPERM, EMLINK, EOPNOTSUPP) and a name gone meanwhile (ENOENT) from other failures.
        /// </returns>
        public nint TryLink(string name, DirectoryHandle target, string targetName)
        {
            ArgumentNullException.ThrowIfNull(target);
            DirectoryPath.ValidateName(name, nameof(name));
            DirectoryPath.ValidateName(targetName, nameof(targetName));
            using var lease = DescriptorLease.Acquire(Descriptor);
            using var targetLease = DescriptorLease.Acquire(target.Descriptor);
            using var fromUtf8 = new Utf8Path(name, stackalloc byte[Utf8Path.StackLimit]);
            using var toUtf8 = new Utf8Path(targetName, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* f = fromUtf8)
            fixed (byte* t = toUtf8)
            {
                return Syscall.RetryInterrupted(
                    (From: lease.Fd, FromName: (nint)f, To: targetLease.Fd, ToName: (nint)t),
                    static s => Sys.Linkat(s.From, (byte*)s.FromName, s.To, (byte*)s.ToName, 0));
            }
        }

        /// <summary>Opens or creates the file <paramref name="name"/> in this directory (see <see cref="FileHandle.Open"/>).</summary>
        /// <param name="name">A name in this directory.</param>
        /// <param name="mode">How to open it, as for <see cref="FileHandle.Open"/>.</param>
        /// <param name="writable">Open read-write (true) or read-only (false).</param>
        /// <param name="permissions">Mode bits of a created file, before the umask; default 0644.</param>
        /// <returns>The file, whose <see cref="FileHandle.Path"/> is <see cref="Path"/> + "/" + <paramref name="name"/>.</returns>
        public FileHandle OpenFile(string name, FileMode mode, bool writable = true, int permissions = 0x1A4 /* 0644 */)
        {
            DirectoryPath.ValidateName(name, nameof(name));
            using var lease = DescriptorLease.Acquire(Descriptor);
            return FileHandle.OpenAt(lease.Fd, name, Combine(name), mode, writable, permissions);
        }

        /// <summary>
        /// Renames <paramref name="from"/> to <paramref name="to"/> (renameat2), replacing <paramref name="to"/>
        /// atomically if it exists: every observer sees the old file or the new one under that name, never
        /// neither. After a crash either may be there until <see cref="Sync"/> returns; for a
        /// crash-safe replacement, sync the new file's data before the rename and the directory after.
        /// </summary>
        /// <param name="from">The existing name.</param>
        /// <param name="to">The new name.</param>
        public void Rename(string from, string to)
        {
            DirectoryPath.ValidateName(from, nameof(from));
            DirectoryPath.ValidateName(to, nameof(to));
            using var lease = DescriptorLease.Acquire(Descriptor);
            using var fromUtf8 = new Utf8Path(from, stackalloc byte[Utf8Path.StackLimit]);
            using var toUtf8 = new Utf8Path(to, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* f = fromUtf8)
            fixed (byte* t = toUtf8)
            {
                nint result = Syscall.RetryInterrupted(
                    (lease.Fd, From: (nint)f, To: (nint)t),
                    // renameat2 with no flags is renameat, and exists on every architecture's table, while
                    // the generic table (riscv64, loongarch64) has no renameat.
                    static s => Sys.Renameat2(s.Fd, (byte*)s.From, s.Fd, (byte*)s.To, 0));
                if (Syscall.IsError(result))
                {
                    Syscall.Throw(result, "renameat2", Combine(from) + " -> " + Combine(to));
                }
            }
        }

        /// <summary>
        /// Deletes the file <paramref name="name"/> (unlinkat). Descriptors already open on it keep
        /// working; its blocks are freed when the last one closes. Durable after <see cref="Sync"/>.
        /// </summary>
        /// <param name="name">A name in this directory.</param>
        /// <exception cref="SyscallException">unlinkat failed (ENOENT if there is no such file, EISDIR for a directory).</exception>
        public void Delete(string name) => Unlink(name, missingIsFalse: false);

        /// <summary>Deletes the file <paramref name="name"/> if it exists.</summary>
        /// <param name="name">A name in this directory.</param>
        /// <returns>True if it was deleted, false if there was no such file.</returns>
        /// <exception cref="SyscallException">unlinkat failed otherwise.</exception>
        public bool TryDelete(string name) => Unlink(name, missingIsFalse: true);

        /// <summary>
        /// Whether anything is named <paramref name="name"/> here (statx, AT_SYMLINK_NOFOLLOW: a
        /// dangling symbolic link exists too, as it would make a CreateNew open fail).
        /// </summary>
        /// <param name="name">A name in this directory.</param>
        /// <returns>True if the name exists.</returns>
        public bool Exists(string name) => StatAt(name, Sys.AT_SYMLINK_NOFOLLOW, fields: 0 /* that the name resolves is the answer */, missingIsFalse: true, out _);

        /// <summary>The size in bytes of the file <paramref name="name"/> (statx, following symbolic links as opening would).</summary>
        /// <param name="name">A name in this directory.</param>
        /// <returns>The size.</returns>
        /// <exception cref="SyscallException">statx failed (ENOENT if there is no such file).</exception>
        public long FileLength(string name)
        {
            StatAt(name, 0, Sys.STATX_SIZE, missingIsFalse: false, out FileStatus status);
            return status.Size;
        }

        /// <summary>
        /// Makes the directory's entries durable (fsync on the directory). A file's name lives in its
        /// directory, not in the file: fsync of a new file makes its contents durable, but after a crash
        /// the file may still be missing, and a rename or delete may be undone, until this returns.
        /// </summary>
        public void Sync()
        {
            using var lease = DescriptorLease.Acquire(Descriptor);
            Syscall.Blocking("fsync", lease.Fd, static fd => Sys.Fsync(fd), Path);
        }

        /// <summary>
        /// The names of the regular files in the directory, sorted ordinally (getdents64). Entries of
        /// unknown type (filesystems that report DT_UNKNOWN) are looked up with statx; directories,
        /// symbolic links and other special files are left out. A name that is not valid UTF-8 comes back
        /// with U+FFFD in place of the bad bytes.
        /// </summary>
        /// <returns>The names.</returns>
        public List<string> ListFiles()
        {
            var names = new List<string>();
            using var lease = DescriptorLease.Acquire(Descriptor);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ListBufferSize);
            try
            {
                lock (_listLock)
                {
                    // The position is left at the end by the previous listing; rewind re-reads the directory.
                    Syscall.Check(Sys.Lseek(lease.Fd, 0, Sys.SEEK_SET), "lseek", Path);
                    fixed (byte* start = buffer)
                    {
                        nint read;
                        while ((read = Syscall.Blocking("getdents64", (lease.Fd, Buffer: (nint)start, Length: (nuint)buffer.Length), static s => Sys.Getdents64(s.Fd, (byte*)s.Buffer, s.Length), Path)) != 0)
                        {
                            AddFiles(lease.Fd, start, (int)read, names);
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            names.Sort(StringComparer.Ordinal);
            return names;
        }

        /// <summary>Whether the directory holds no entry at all but "." and "..": no file, directory or link of any kind.</summary>
        /// <returns>True if empty.</returns>
        public bool IsEmpty()
        {
            using var lease = DescriptorLease.Acquire(Descriptor);
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ListBufferSize);
            try
            {
                lock (_listLock)
                {
                    Syscall.Check(Sys.Lseek(lease.Fd, 0, Sys.SEEK_SET), "lseek", Path);
                    fixed (byte* start = buffer)
                    {
                        nint read;
                        while ((read = Syscall.Blocking("getdents64", (lease.Fd, Buffer: (nint)start, Length: (nuint)buffer.Length), static s => Sys.Getdents64(s.Fd, (byte*)s.Buffer, s.Length), Path)) != 0)
                        {
                            for (var entries = new DirentReader(new ReadOnlySpan<byte>(start, (int)read)); entries.MoveNext();)
                            {
                                if (!entries.IsDotOrDotDot)
                                {
                                    return false;
                                }
                            }
                        }
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return true;
        }

        /// <summary>Removes the empty directory at <paramref name="path"/> (unlinkat with AT_REMOVEDIR).</summary>
        /// <param name="path">The directory's path.</param>
        /// <returns>0, or -errno (ENOTEMPTY if it holds anything, ENOENT if it is gone).</returns>
        public static nint TryRemoveEmpty(string path)
        {
            ArgumentNullException.ThrowIfNull(path);
            using var utf8 = new Utf8Path(DirectoryPath.TrimTrailingSlashes(path), stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = utf8)
            {
                return Syscall.RetryInterrupted((nint)p, static p => Sys.Unlinkat(Sys.AT_FDCWD, (byte*)p, Sys.AT_REMOVEDIR));
            }
        }

        /// <summary>
        /// Takes an exclusive lock on the directory (flock LOCK_EX | LOCK_NB) without waiting, to keep
        /// a second server from opening the same data. The lock lasts until this handle is disposed.
        /// </summary>
        /// <remarks>
        /// flock locks belong to the open file description, not to the process: another
        /// <see cref="Open"/> of the same directory, in this process or any other, gets its own open file
        /// description and is refused, while descriptors duplicated from this one (dup, fork) share the
        /// lock. (fcntl record locks differ: they are per process, so a second open in the same process
        /// would not conflict.) On NFS flock is emulated with fcntl locks and loses this property.
        /// </remarks>
        /// <returns>True if the lock is now held (or already was, through this handle); false if another holds it.</returns>
        public bool TryLockExclusive()
        {
            using var lease = DescriptorLease.Acquire(Descriptor);
            nint result = Syscall.RetryInterrupted(lease.Fd, static fd => Sys.Flock(fd, Sys.LOCK_EX | Sys.LOCK_NB));

            // EWOULDBLOCK is EAGAIN on Linux.
            if (result == -Sys.EAGAIN)
            {
                return false;
            }

            Syscall.Check(result, "flock", Path);
            return true;
        }

        /// <summary>Closes the directory, which also releases a lock taken by <see cref="TryLockExclusive"/>.</summary>
        public void Dispose() => Descriptor.Dispose();

        /// <inheritdoc/>
        public override string ToString() => Path;

        /// <summary>Adds the regular files among getdents64 records to <paramref name="names"/>; internal for tests that fake DT_UNKNOWN.</summary>
        internal void AddFiles(int fd, byte* records, int length, List<string> names)
        {
            for (var entries = new DirentReader(new ReadOnlySpan<byte>(records, length)); entries.MoveNext();)
            {
                if (!entries.IsDotOrDotDot && (entries.Type == Sys.DT_REG || (entries.Type == Sys.DT_UNKNOWN && IsRegularFile(fd, entries.Name))))
                {
                    names.Add(Encoding.UTF8.GetString(entries.Name));
                }
            }
        }

        // For DT_UNKNOWN entries: stat the name's raw bytes in place (a name that is not valid UTF-8
        // would not survive a round trip through a string).
        private bool IsRegularFile(int fd, ReadOnlySpan<byte> name)
        {
            FileStatus status;
            nint result;
            fixed (byte* p = &MemoryMarshal.GetReference(name))
            {
                result = FileStatus.TryAt(fd, p, Sys.AT_SYMLINK_NOFOLLOW, Sys.STATX_TYPE, out status);
            }

            // Deleted between getdents64 and now: it is not a file any more.
            if (result == -Sys.ENOENT)
            {
                return false;
            }

            if (Syscall.IsError(result))
            {
                Syscall.Throw(result, "statx", Combine(Encoding.UTF8.GetString(name)));
            }

            if (!status.IsComplete)
            {
                status.ThrowIncomplete(Combine(Encoding.UTF8.GetString(name)));
            }

            return status.Type == Sys.S_IFREG;
        }

        private static DirectoryHandle OpenTrimmed(string trimmed)
        {
            using var utf8 = new Utf8Path(trimmed, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = utf8)
            {
                nint result = Syscall.RetryInterrupted((nint)p, static p => Sys.Openat(Sys.AT_FDCWD, (byte*)p, DirectoryFlags, 0));
                return new DirectoryHandle(FileDescriptor.FromResult(result, "openat", trimmed), trimmed);
            }
        }

        private bool Unlink(string name, bool missingIsFalse)
            => AtName("unlinkat", name, missingIsFalse, 0, static s => Sys.Unlinkat(s.Fd, (byte*)s.Name, s.Args));

        private bool StatAt(string name, int flags, uint fields, bool missingIsFalse, out FileStatus status)
        {
            FileStatus found;
            bool exists = AtName(
                "statx",
                name,
                missingIsFalse,
                (Status: (nint)(&found), Flags: flags, Fields: fields),
                static s => FileStatus.TryAt(s.Fd, (byte*)s.Name, s.Args.Flags, s.Args.Fields, out *(FileStatus*)s.Args.Status));
            if (exists && !found.IsComplete)
            {
                found.ThrowIncomplete(Combine(name));
            }

            status = exists ? found : default;
            return exists;
        }

        // Makes an *at call on a name in this directory. ENOENT is false where the caller allows a
        // missing name; any other error throws, naming the full path (built only then).
        private bool AtName<TArgs>(string syscall, string name, bool missingIsFalse, TArgs args, Func<(int Fd, nint Name, TArgs Args), nint> call)
        {
            DirectoryPath.ValidateName(name, nameof(name));
            using var lease = DescriptorLease.Acquire(Descriptor);
            using var utf8 = new Utf8Path(name, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = utf8)
            {
                nint result = Syscall.RetryInterrupted((lease.Fd, (nint)p, args), call);
                if (result == -Sys.ENOENT && missingIsFalse)
                {
                    return false;
                }

                if (Syscall.IsError(result))
                {
                    Syscall.Throw(result, syscall, Combine(name));
                }

                return true;
            }
        }

        private string Combine(string name) => DirectoryPath.Combine(Path, name);
    }
}
