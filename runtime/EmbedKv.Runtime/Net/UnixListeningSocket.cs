// Opening a Unix stream listener safely: what a crash left behind is replaced, a live server or a file
// that is no socket is refused, and the permissions are exact before anyone can connect.
using System;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Net
{
    /// <summary>Opens non-blocking Unix stream listeners on filesystem paths or abstract names.</summary>
    internal static unsafe class UnixListeningSocket
    {
        /// <summary>rw for the owner and group: who may connect is decided by group membership.</summary>
        public const uint DefaultMode = 0x1B0; // 0660

        /// <summary>As <see cref="Open(UnixEndpoint, uint, int)"/>, parsing the path first.</summary>
        /// <param name="path">A filesystem path, or '@' and an abstract name.</param>
        /// <param name="mode">Permission bits of the socket file (0..0777); ignored for an abstract name.</param>
        /// <param name="backlog">Length of the accept queue.</param>
        /// <returns>The listener.</returns>
        public static UnixListener Open(string path, uint mode = DefaultMode, int backlog = 4096)
            => Open(UnixEndpoint.Parse(path), mode, backlog);

        /// <summary>
        /// Creates, binds and listens. A socket file already at the path is probed with a connect:
        /// refused means its server is gone (a crash, a kill -9) and the file is replaced; accepted means a
        /// server is there, and this one refuses to take its path. Anything that is not a socket is left
        /// alone. The mode is set between bind and listen: until listen nobody can connect, whatever the
        /// umask gave the file.
        /// </summary>
        /// <param name="endpoint">The address.</param>
        /// <param name="mode">Permission bits of the socket file (0..0777); ignored for an abstract name, which has no file.</param>
        /// <param name="backlog">Length of the accept queue.</param>
        /// <returns>The listener, which owns the descriptor and the file.</returns>
        /// <exception cref="SyscallException">
        /// "bind unix:/run/embedkv.sock (another server is listening there): EADDRINUSE (Address already in use)",
        /// "bind unix:/data/x (a regular file is there; only a stale socket is replaced): EADDRINUSE (...)",
        /// "bind unix:/run/embedkv/embedkv.sock: ENOENT (...)" for a missing directory, and the like.
        /// </exception>
        public static UnixListener Open(UnixEndpoint endpoint, uint mode = DefaultMode, int backlog = 4096)
        {
            if (mode > 0x1FF)
            {
                throw new ArgumentOutOfRangeException(nameof(mode), "0" + Convert.ToString(mode, 8), "A Unix socket's mode is permission bits, 0 to 0777.");
            }

            var socket = FileDescriptor.FromResult(
                Sys.Socket(Sys.AF_UNIX, Sys.SOCK_STREAM | Sys.SOCK_NONBLOCK | Sys.SOCK_CLOEXEC, 0), "socket", endpoint.ToString());
            UnixSocketFile? file = null;
            try
            {
                Bind(socket.Value, endpoint);
                if (!endpoint.IsAbstract)
                {
                    file = UnixSocketFile.Of(endpoint.Path);
                    file = SetMode(file.Value, endpoint, mode);
                }

                Syscall.Check(Sys.Listen(socket.Value, backlog), "listen", endpoint.ToString());
                return new UnixListener(socket, endpoint, file);
            }
            catch
            {
                if (file is { } created)
                {
                    try
                    {
                        created.RemoveIfOurs();
                    }
                    catch (SyscallException)
                    {
                        // Left stale: the next Open replaces it. The first error is the one to report.
                    }
                }

                socket.Dispose();
                throw;
            }
        }

        /// <summary>Connects to a Unix stream socket, as a liveness probe: 0 when a server accepts, -errno otherwise.</summary>
        /// <param name="endpoint">The address.</param>
        /// <returns>0, -ECONNREFUSED (nobody listening), -ENOENT (no file), -EAGAIN (listening, queue full), ….</returns>
        internal static nint Probe(in UnixEndpoint endpoint)
        {
            nint created = Sys.Socket(Sys.AF_UNIX, Sys.SOCK_STREAM | Sys.SOCK_NONBLOCK | Sys.SOCK_CLOEXEC, 0);
            if (Syscall.IsError(created))
            {
                return created;
            }

            using var probe = new FileDescriptor((int)created);
            SockAddrUn address = endpoint.Raw;
            return Syscall.RetryInterrupted(
                (Fd: probe.Value, Address: (nint)(&address), Length: (uint)endpoint.Length),
                static a => Sys.Connect(a.Fd, (SockAddr*)a.Address, a.Length));
        }

        private static void Bind(int fd, in UnixEndpoint endpoint)
        {
            nint result = TryBind(fd, endpoint);
            if (result == -Sys.EADDRINUSE && !endpoint.IsAbstract && ClearStale(endpoint))
            {
                result = TryBind(fd, endpoint);
            }

            Syscall.Check(result, "bind", endpoint.ToString());
        }

        private static nint TryBind(int fd, in UnixEndpoint endpoint)
        {
            SockAddrUn address = endpoint.Raw;
            return Sys.Bind(fd, (SockAddr*)&address, (uint)endpoint.Length);
        }

        // Something holds the path. True if it was a stale socket, now removed (or it vanished meanwhile):
        // bind again. Throws when it must be left alone.
        private static bool ClearStale(in UnixEndpoint endpoint)
        {
            string path = endpoint.Path;
            nint result = UnixSocketFile.Lstat(path, out FileStatus found);
            if (result == -Sys.ENOENT)
            {
                return true;
            }

            Syscall.Check(result, "statx", path);
            if (found.Type != Sys.S_IFSOCK)
            {
                throw InUse(endpoint, "a " + UnixSocketFile.TypeOf(found.Mode) + " is there; only a stale socket is replaced");
            }

            nint probe = Probe(endpoint);
            if (probe == 0 || probe == -Sys.EAGAIN)
            {
                throw InUse(endpoint, "another server is listening there");
            }

            if (probe == -Sys.ENOENT)
            {
                return true;
            }

            if (probe != -Sys.ECONNREFUSED)
            {
                // EACCES: not ours to probe; EPROTOTYPE: a datagram socket. Either way not known to be stale.
                Syscall.Throw(probe, "connect", endpoint + " (checking whether the socket there is stale)");
            }

            // Remove only the socket that was probed: if the path changed meanwhile, let bind report it.
            result = UnixSocketFile.Lstat(path, out FileStatus again);
            if (result == -Sys.ENOENT)
            {
                return true;
            }

            Syscall.Check(result, "statx", path);
            if (!again.IsSameFile(found))
            {
                return false;
            }

            result = UnixSocketFile.Unlink(path);
            if (result != -Sys.ENOENT)
            {
                Syscall.Check(result, "unlinkat", path + " (a stale socket)");
            }

            return true;
        }

        private static UnixSocketFile SetMode(UnixSocketFile file, in UnixEndpoint endpoint, uint mode)
        {
            Syscall.Check(UnixSocketFile.Chmod(file.Path, mode), "fchmodat", endpoint.ToString());

            // fchmodat follows a symbolic link: had the path been swapped between bind and now, the mode
            // went elsewhere. Refuse to listen on a socket whose permissions were not set.
            Syscall.Check(UnixSocketFile.Lstat(file.Path, out FileStatus now), "statx", file.Path);
            return file.Changed(now);
        }

        private static SyscallException InUse(in UnixEndpoint endpoint, string why)
            => new SyscallException("bind", Errno.FromResult(-Sys.EADDRINUSE), endpoint + " (" + why + ")");
    }
}
