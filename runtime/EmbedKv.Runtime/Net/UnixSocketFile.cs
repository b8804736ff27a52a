// The filesystem side of a Unix socket: the file bind creates, known by device, inode and change time
// so that removing it later cannot remove another server's socket that took the path meanwhile.
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Net
{
    /// <summary>
    /// The socket file a bind created, identified by its device, inode and change time. The inode alone
    /// is not enough: ext4 gives a replacement bound straight after an unlink the number just freed.
    /// </summary>
    internal readonly unsafe struct UnixSocketFile
    {
        /// <summary>What <see cref="Lstat"/> asks for: the type, the inode and the change time (the device always comes).</summary>
        private const uint IdentityFields = Sys.STATX_TYPE | Sys.STATX_INO | Sys.STATX_CTIME;

        private readonly FileStatus _bound;

        private UnixSocketFile(string path, in FileStatus status)
        {
            Path = path;
            _bound = status;
        }

        /// <summary>The path.</summary>
        public string Path { get; }

        /// <summary>Records what is at <paramref name="path"/> now, which must be a socket; after its last chmod, which changes its ctime.</summary>
        /// <param name="path">The path just bound.</param>
        /// <returns>Its identity.</returns>
        /// <exception cref="SyscallException">It is gone or is no socket: someone replaced it straight after the bind.</exception>
        public static UnixSocketFile Of(string path)
        {
            nint result = Lstat(path, out FileStatus status);
            Syscall.Check(result, "statx", path);
            if (status.Type != Sys.S_IFSOCK)
            {
                throw new SyscallException("bind", Errno.FromResult(-Sys.EEXIST), "unix:" + path + " (replaced by a " + TypeOf(status.Mode) + " straight after the bind)");
            }

            return new UnixSocketFile(path, status);
        }

        /// <summary>
        /// lstat, by statx with AT_SYMLINK_NOFOLLOW: what is at the path itself, a symbolic link not
        /// followed. Reports the type, device, inode and change time.
        /// </summary>
        /// <param name="path">The path.</param>
        /// <param name="status">Its status, if it exists.</param>
        /// <returns>0 or -errno (-ENOENT when nothing is there).</returns>
        /// <exception cref="SyscallException">The filesystem did not report the type, inode or change time.</exception>
        public static nint Lstat(string path, out FileStatus status)
        {
            nint result;
            using var name = new Utf8Path(path, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = name)
            {
                result = FileStatus.TryAt(Sys.AT_FDCWD, p, Sys.AT_SYMLINK_NOFOLLOW, IdentityFields, out status);
            }

            // Without them a file could not be told from its replacement.
            if (!Syscall.IsError(result) && !status.IsComplete)
            {
                status.ThrowIncomplete(path);
            }

            return result;
        }

        /// <summary>unlink.</summary>
        /// <param name="path">The path.</param>
        /// <returns>0 or -errno.</returns>
        public static nint Unlink(string path)
        {
            using var name = new Utf8Path(path, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = name)
            {
                return Syscall.RetryInterrupted((nint)p, static n => Sys.Unlinkat(Sys.AT_FDCWD, (byte*)n, 0));
            }
        }

        /// <summary>chmod, to the exact mode: the process's umask plays no part.</summary>
        /// <param name="path">The path.</param>
        /// <param name="mode">Permission bits (0660, say).</param>
        /// <returns>0 or -errno.</returns>
        public static nint Chmod(string path, uint mode)
        {
            using var name = new Utf8Path(path, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = name)
            {
                return Syscall.RetryInterrupted((Name: (nint)p, Mode: mode), static a => Sys.Fchmodat(Sys.AT_FDCWD, (byte*)a.Name, a.Mode));
            }
        }

        /// <summary>"regular file", "directory", …, for messages.</summary>
        /// <param name="mode">stx_mode.</param>
        /// <returns>The name of the file type.</returns>
        public static string TypeOf(uint mode) => (mode & Sys.S_IFMT) switch
        {
            Sys.S_IFREG => "regular file",
            Sys.S_IFDIR => "directory",
            Sys.S_IFLNK => "symbolic link",
            Sys.S_IFSOCK => "socket",
            _ => "special file",
        };

        /// <summary>The identity of this file after a change of its own (a chmod), which moved its ctime.</summary>
        /// <param name="status">An <see cref="Lstat"/> of the path, which must still be this socket's inode.</param>
        /// <returns>The identity to compare with from now on.</returns>
        public UnixSocketFile Changed(in FileStatus status)
        {
            if (!status.IsSameFile(_bound) || status.Type != Sys.S_IFSOCK)
            {
                throw new SyscallException("bind", Errno.FromResult(-Sys.EEXIST), "unix:" + Path + " (the socket file was replaced by another " + TypeOf(status.Mode) + ")");
            }

            return new UnixSocketFile(Path, status);
        }

        /// <summary>True if <paramref name="status"/> describes this very file.</summary>
        /// <param name="status">What an <see cref="Lstat"/> of the path found.</param>
        /// <returns>Same device, inode and ctime, and still a socket.</returns>
        public bool Is(in FileStatus status)
            => status.IsSameFile(_bound)
                && status.ChangeTimeSeconds == _bound.ChangeTimeSeconds && status.ChangeTimeNanoseconds == _bound.ChangeTimeNanoseconds
                && status.Type == Sys.S_IFSOCK;

        /// <summary>
        /// Unlinks the path if it is still this socket. Another server that found ours stale (closed,
        /// or shut down while stopping) may have replaced it with its own; removing that would leave it
        /// listening on a socket nobody can reach.
        /// </summary>
        /// <remarks>
        /// A chmod or chown of the file by someone else also changes its ctime: the file is then left
        /// behind, which is harmless, since the next server to open the path replaces a stale socket.
        /// </remarks>
        /// <returns>True if removed; false if the path is gone or now names another file.</returns>
        /// <exception cref="SyscallException">lstat or unlink failed otherwise ("unlinkat /run/x.sock: EACCES ...").</exception>
        public bool RemoveIfOurs()
        {
            nint result = Lstat(Path, out FileStatus status);
            if (result == -Sys.ENOENT)
            {
                return false;
            }

            Syscall.Check(result, "statx", Path);
            if (!Is(status))
            {
                return false;
            }

            // Between the lstat and the unlink another process could still swap the file; it could only do
            // so after finding ours stale, and a server removes its file before it stops listening.
            result = Unlink(Path);
            if (result == -Sys.ENOENT)
            {
                return false;
            }

            Syscall.Check(result, "unlinkat", Path);
            return true;
        }
    }
}
