using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Files
{
    /// <summary>
    /// An open directory whose files are opened, renamed and deleted relative to its descriptor (the
    /// *at syscalls), so they stay in this directory even if it is renamed meanwhile, and whose
    /// <see cref="Sync"/> makes those changes durable. Names are plain names: no '/', not "." or "..".
    /// </summary>
    public sealed unsafe class DirectoryHandle : IDisposable
    {
        private const int DirectoryFlags = Sys.O_DIRECTORY | Sys.O_RDONLY | Sys.O_CLOEXEC;
        private const uint DirectoryPermissions = 0x1ED; // 0755
        private const int ListBufferSize = 32 * 1024;

        // d_type values of struct linux_dirent64, from syscalls.json's DirentType group.
        private const byte DtUnknown = Sys.DT_UNKNOWN;
        private const byte DtReg = Sys.DT_REG;

        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        private const int RecordLengthOffset = 16;
        private const int TypeOffset = 18;
        private const int NameOffset = 19;

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
            string trimmed = TrimTrailingSlashes(path);
            if (create)
            {
                CreateDirectories(trimmed);
            }

            return new DirectoryHandle(FileDescriptor.FromResult(OpenDirectory(trimmed), "openat", trimmed), trimmed);
        }

        /// <summary>Opens or creates the file <paramref name="name"/> in this directory (see <see cref="FileHandle.Open"/>).</summary>
        /// <param name="name">A name in this directory.</param>
        /// <param name="mode">How to open it, as for <see cref="FileHandle.Open"/>.</param>
        /// <param name="writable">Open read-write (true) or read-only (false).</param>
        /// <param name="permissions">Mode bits of a created file, before the umask; default 0644.</param>
        /// <returns>The file, whose <see cref="FileHandle.Path"/> is <see cref="Path"/> + "/" + <paramref name="name"/>.</returns>
        public FileHandle OpenFile(string name, FileMode mode, bool writable = true, int permissions = 0x1A4 /* 0644 */)
        {
            ValidateName(name, nameof(name));
            string path = Combine(name);
            int fd = Acquire();
            try
            {
                return FileHandle.OpenAt(fd, name, path, mode, writable, permissions);
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>
        /// Renames <paramref name="from"/> to <paramref name="to"/> (renameat), replacing <paramref name="to"/>
        /// atomically if it exists: every observer sees the old file or the new one under that name, never
        /// neither. After a crash either may be there until <see cref="Sync"/> returns; for a
        /// crash-safe replacement, sync the new file's data before the rename and the directory after.
        /// </summary>
        /// <param name="from">The existing name.</param>
        /// <param name="to">The new name.</param>
        public void Rename(string from, string to)
        {
            ValidateName(from, nameof(from));
            ValidateName(to, nameof(to));
            int fd = Acquire();
            try
            {
                nint result;
                using (var fromUtf8 = new Utf8Path(from, stackalloc byte[Utf8Path.StackLimit]))
                using (var toUtf8 = new Utf8Path(to, stackalloc byte[Utf8Path.StackLimit]))
                {
                    fixed (byte* f = fromUtf8)
                    fixed (byte* t = toUtf8)
                    {
                        do
                        {
                            result = Sys.Renameat(fd, f, fd, t);
                        }
                        while (result == -Sys.EINTR);
                    }
                }

                if (Syscall.IsError(result))
                {
                    throw new SyscallException("renameat", Errno.FromResult(result), Combine(from) + " -> " + Combine(to));
                }
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>
        /// Deletes the file <paramref name="name"/> (unlinkat). Descriptors already open on it keep
        /// working; its blocks are freed when the last one closes. Durable after <see cref="Sync"/>.
        /// </summary>
        /// <param name="name">A name in this directory.</param>
        /// <exception cref="SyscallException">unlinkat failed (ENOENT if there is no such file, EISDIR for a directory).</exception>
        public void Delete(string name)
        {
            nint result = Unlink(name);
            if (Syscall.IsError(result))
            {
                throw new SyscallException("unlinkat", Errno.FromResult(result), Combine(name));
            }
        }

        /// <summary>Deletes the file <paramref name="name"/> if it exists.</summary>
        /// <param name="name">A name in this directory.</param>
        /// <returns>True if it was deleted, false if there was no such file.</returns>
        /// <exception cref="SyscallException">unlinkat failed otherwise.</exception>
        public bool TryDelete(string name)
        {
            nint result = Unlink(name);
            if (result == -Sys.ENOENT)
            {
                return false;
            }

            if (Syscall.IsError(result))
            {
                throw new SyscallException("unlinkat", Errno.FromResult(result), Combine(name));
            }

            return true;
        }

        /// <summary>
        /// Whether anything is named <paramref name="name"/> here (newfstatat, AT_SYMLINK_NOFOLLOW: a
        /// dangling symbolic link exists too, as it would make a CreateNew open fail).
        /// </summary>
        /// <param name="name">A name in this directory.</param>
        /// <returns>True if the name exists.</returns>
        public bool Exists(string name)
        {
            nint result = StatAt(name, Sys.AT_SYMLINK_NOFOLLOW, out _);
            if (result == -Sys.ENOENT)
            {
                return false;
            }

            if (Syscall.IsError(result))
            {
                throw new SyscallException("newfstatat", Errno.FromResult(result), Combine(name));
            }

            return true;
        }

        /// <summary>The size in bytes of the file <paramref name="name"/> (newfstatat, following symbolic links as opening would).</summary>
        /// <param name="name">A name in this directory.</param>
        /// <returns>The size.</returns>
        /// <exception cref="SyscallException">newfstatat failed (ENOENT if there is no such file).</exception>
        public long FileLength(string name)
        {
            nint result = StatAt(name, 0, out Stat stat);
            if (Syscall.IsError(result))
            {
                throw new SyscallException("newfstatat", Errno.FromResult(result), Combine(name));
            }

            return stat.Size;
        }

        /// <summary>
        /// Makes the directory's entries durable (fsync on the directory). A file's name lives in its
        /// directory, not in the file: fsync of a new file makes its contents durable, but after a crash
        /// the file may still be missing, and a rename or delete may be undone, until this returns.
        /// </summary>
        public void Sync()
        {
            int fd = Acquire();
            try
            {
                Check(SyncDescriptor(fd), "fsync", Path);
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>
        /// The names of the regular files in the directory, sorted ordinally (getdents64). Entries of
        /// unknown type (filesystems that report DT_UNKNOWN) are looked up with newfstatat; directories,
        /// symbolic links and other special files are left out. A name that is not valid UTF-8 comes back
        /// with U+FFFD in place of the bad bytes.
        /// </summary>
        /// <returns>The names.</returns>
        public List<string> ListFiles()
        {
            var names = new List<string>();
            int fd = Acquire();
            byte[] buffer = ArrayPool<byte>.Shared.Rent(ListBufferSize);
            try
            {
                lock (_listLock)
                {
                    // The position is left at the end by the previous listing; rewind re-reads the directory.
                    Check(Sys.Lseek(fd, 0, Sys.SEEK_SET), "lseek", Path);
                    fixed (byte* start = buffer)
                    {
                        while (true)
                        {
                            nint read;
                            do
                            {
                                read = Sys.Getdents64(fd, start, (nuint)buffer.Length);
                            }
                            while (read == -Sys.EINTR);

                            Check(read, "getdents64", Path);
                            if (read == 0)
                            {
                                break;
                            }

                            AddFiles(fd, start, (int)read, names);
                        }
                    }
                }
            }
            finally
            {
                Descriptor.DangerousRelease();
                ArrayPool<byte>.Shared.Return(buffer);
            }

            names.Sort(StringComparer.Ordinal);
            return names;
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
            int fd = Acquire();
            try
            {
                nint result;
                do
                {
                    result = Sys.Flock(fd, Sys.LOCK_EX | Sys.LOCK_NB);
                }
                while (result == -Sys.EINTR);

                // EWOULDBLOCK is EAGAIN on Linux.
                if (result == -Sys.EAGAIN)
                {
                    return false;
                }

                Check(result, "flock", Path);
                return true;
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        /// <summary>Closes the directory, which also releases a lock taken by <see cref="TryLockExclusive"/>.</summary>
        public void Dispose() => Descriptor.Dispose();

        /// <inheritdoc/>
        public override string ToString() => Path;

        private static void CreateDirectories(string path)
        {
            nint result = MakeDirectory(path);
            if (result == -Sys.ENOENT)
            {
                // A parent is missing: create it first (recursing toward the root), then try again.
                int slash = path.LastIndexOf('/');
                if (slash > 0)
                {
                    CreateDirectories(TrimTrailingSlashes(path.Substring(0, slash)));
                    result = MakeDirectory(path);
                }
            }

            if (result == 0)
            {
                // The new directory's name is an entry in its parent; sync that, or a crash can lose it
                // together with everything later created inside.
                SyncPath(ParentOf(path));
                return;
            }

            // EEXIST: it was there already, or another creator got there first. If it is a file, the
            // open with O_DIRECTORY that follows fails with ENOTDIR, naming the path.
            if (result != -Sys.EEXIST)
            {
                throw new SyscallException("mkdirat", Errno.FromResult(result), path);
            }
        }

        private static nint MakeDirectory(string path)
        {
            using var utf8 = new Utf8Path(path, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = utf8)
            {
                nint result;
                do
                {
                    result = Sys.Mkdirat(Sys.AT_FDCWD, p, DirectoryPermissions);
                }
                while (result == -Sys.EINTR);

                return result;
            }
        }

        private static nint OpenDirectory(string path)
        {
            using var utf8 = new Utf8Path(path, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = utf8)
            {
                nint result;
                do
                {
                    result = Sys.Openat(Sys.AT_FDCWD, p, DirectoryFlags, 0);
                }
                while (result == -Sys.EINTR);

                return result;
            }
        }

        private static void SyncPath(string directory)
        {
            using FileDescriptor parent = FileDescriptor.FromResult(OpenDirectory(directory), "openat", directory);
            Check(SyncDescriptor(parent.Value), "fsync", directory);
        }

        private static nint SyncDescriptor(int fd)
        {
            nint result;
            do
            {
                result = Sys.Fsync(fd);
            }
            while (result == -Sys.EINTR);

            return result;
        }

        private static string ParentOf(string path)
        {
            int slash = path.LastIndexOf('/');
            return slash < 0 ? "." : slash == 0 ? "/" : TrimTrailingSlashes(path.Substring(0, slash));
        }

        // "data/" and "data" are the same directory; "/" stays "/".
        private static string TrimTrailingSlashes(string path)
        {
            string trimmed = path.TrimEnd('/');
            return trimmed.Length == 0 && path.Length > 0 ? "/" : trimmed;
        }

        // A plain name, so every operation stays inside this directory and Sync covers it: "a/b" would
        // reach into a subdirectory, and an absolute name would make the *at calls ignore the descriptor.
        private static void ValidateName(string name, string parameter)
        {
            ArgumentNullException.ThrowIfNull(name, parameter);
            if (name.Length == 0 || name == "." || name == ".." || name.Contains('/'))
            {
                throw new ArgumentException("Expected a file name in the directory (not empty, \".\", \"..\", or containing '/'): \"" + name + "\".", parameter);
            }
        }

        private static void Check(nint result, string syscall, string context)
        {
            if (Syscall.IsError(result))
            {
                throw new SyscallException(syscall, Errno.FromResult(result), context);
            }
        }

        private static bool IsDotOrDotDot(ReadOnlySpan<byte> name)
            => (name.Length == 1 && name[0] == (byte)'.') || (name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.');

        /// <summary>Adds the regular files among getdents64 records to <paramref name="names"/>; internal for tests that fake DT_UNKNOWN.</summary>
        internal void AddFiles(int fd, byte* records, int length, List<string> names)
        {
            int position = 0;
            while (position < length)
            {
                byte* record = records + position;
                int recordLength = BinaryPrimitives.ReadUInt16LittleEndian(new ReadOnlySpan<byte>(record + RecordLengthOffset, 2));
                byte type = record[TypeOffset];

                // d_name is NUL-terminated and padded to the record's 8-byte-aligned length.
                var nameBytes = new ReadOnlySpan<byte>(record + NameOffset, recordLength - NameOffset);
                nameBytes = nameBytes.Slice(0, nameBytes.IndexOf((byte)0));
                position += recordLength;

                if (IsDotOrDotDot(nameBytes) || (type != DtReg && (type != DtUnknown || !IsRegularFile(fd, record + NameOffset, nameBytes))))
                {
                    continue;
                }

                names.Add(Encoding.UTF8.GetString(nameBytes));
            }
        }

        // For DT_UNKNOWN entries: look the name up (d_name is already NUL-terminated in place).
        private bool IsRegularFile(int fd, byte* name, ReadOnlySpan<byte> nameBytes)
        {
            Stat stat;
            nint result;
            do
            {
                result = Sys.Newfstatat(fd, name, &stat, Sys.AT_SYMLINK_NOFOLLOW);
            }
            while (result == -Sys.EINTR);

            // Deleted between getdents64 and now: it is not a file any more.
            if (result == -Sys.ENOENT)
            {
                return false;
            }

            Check(result, "newfstatat", Combine(Encoding.UTF8.GetString(nameBytes)));
            return (stat.Mode & Sys.S_IFMT) == Sys.S_IFREG;
        }

        private nint Unlink(string name)
        {
            ValidateName(name, nameof(name));
            int fd = Acquire();
            try
            {
                using var utf8 = new Utf8Path(name, stackalloc byte[Utf8Path.StackLimit]);
                fixed (byte* p = utf8)
                {
                    nint result;
                    do
                    {
                        result = Sys.Unlinkat(fd, p, 0);
                    }
                    while (result == -Sys.EINTR);

                    return result;
                }
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        private nint StatAt(string name, int flags, out Stat stat)
        {
            ValidateName(name, nameof(name));
            stat = default;
            int fd = Acquire();
            try
            {
                using var utf8 = new Utf8Path(name, stackalloc byte[Utf8Path.StackLimit]);
                fixed (byte* p = utf8)
                fixed (Stat* s = &stat)
                {
                    nint result;
                    do
                    {
                        result = Sys.Newfstatat(fd, p, s, flags);
                    }
                    while (result == -Sys.EINTR);

                    return result;
                }
            }
            finally
            {
                Descriptor.DangerousRelease();
            }
        }

        private string Combine(string name) => Path == "/" ? "/" + name : Path + "/" + name;

        // Holds a reference on the descriptor during a call, so a concurrent Dispose cannot close it and
        // let its number be reused mid-call. Throws ObjectDisposedException once disposed.
        private int Acquire()
        {
            bool added = false;
            Descriptor.DangerousAddRef(ref added);
            return Descriptor.Value;
        }
    }
}
