// The event loop's per-connection calls: raw results, no exceptions, no allocation, EINTR retried
// through Syscall.RetryInterrupted like every other call of the runtime.
using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Net
{
    /// <summary>
    /// The per-connection socket calls of an event loop, on plain descriptor numbers and raw results:
    /// they never throw and never allocate, because EAGAIN is the normal rhythm of a non-blocking
    /// socket, not an error, and a connection must not cost an object.
    /// </summary>
    internal static unsafe class SocketOps
    {
        /// <summary>Accepts a connection as a non-blocking, close-on-exec socket.</summary>
        /// <param name="listener">The listening socket.</param>
        /// <returns>The new descriptor, or -errno (-EAGAIN when none is waiting).</returns>
        public static int Accept(int listener)
            => (int)Syscall.RetryInterrupted(listener, static fd => Sys.Accept4(fd, null, null, Sys.SOCK_NONBLOCK | Sys.SOCK_CLOEXEC));

        /// <summary>Turns off Nagle's algorithm, so small responses leave at once.</summary>
        /// <param name="fd">The socket.</param>
        /// <returns>0 or -errno.</returns>
        public static nint SetNoDelay(int fd)
        {
            int one = 1;
            return Sys.Setsockopt(fd, Sys.IPPROTO_TCP, Sys.TCP_NODELAY, &one, sizeof(int));
        }

        /// <summary>Reads what has arrived.</summary>
        /// <param name="fd">The socket.</param>
        /// <param name="buffer">Where to put it.</param>
        /// <returns>Bytes read, 0 at end of stream, or -errno (-EAGAIN when nothing is there).</returns>
        public static nint Receive(int fd, Span<byte> buffer)
        {
            fixed (byte* p = buffer)
            {
                return Syscall.RetryInterrupted(
                    (Fd: fd, Buffer: (nint)p, Length: (nuint)buffer.Length),
                    static s => Sys.Recvfrom(s.Fd, (byte*)s.Buffer, s.Length, 0, null, null));
            }
        }

        /// <summary>Sends what fits; MSG_NOSIGNAL turns a closed peer into -EPIPE instead of a process-killing SIGPIPE.</summary>
        /// <param name="fd">The socket.</param>
        /// <param name="data">The bytes.</param>
        /// <param name="more">More follows at once (a sendfile of the body): MSG_MORE lets the kernel put both in one segment.</param>
        /// <returns>Bytes sent (possibly fewer than given), or -errno (-EAGAIN when the send buffer is full).</returns>
        public static nint Send(int fd, ReadOnlySpan<byte> data, bool more = false)
        {
            int flags = more ? Sys.MSG_NOSIGNAL | Sys.MSG_MORE : Sys.MSG_NOSIGNAL;
            fixed (byte* p = data)
            {
                return Syscall.RetryInterrupted(
                    (Fd: fd, Data: (nint)p, Length: (nuint)data.Length, Flags: flags),
                    static s => Sys.Sendto(s.Fd, (byte*)s.Data, s.Length, s.Flags, null, 0));
            }
        }

        /// <summary>Sends file bytes straight from the page cache to the socket, without copying them through user memory.</summary>
        /// <param name="socket">The socket.</param>
        /// <param name="file">The file.</param>
        /// <param name="offset">Where to read in the file; advanced by what was sent.</param>
        /// <param name="count">Bytes wanted.</param>
        /// <returns>Bytes sent, or -errno (-EAGAIN when the send buffer is full).</returns>
        public static nint SendFile(int socket, int file, ref long offset, long count)
        {
            fixed (long* p = &offset)
            {
                return Syscall.RetryInterrupted(
                    (Socket: socket, File: file, Offset: (nint)p, Count: (nuint)count),
                    static s => Sys.Sendfile(s.Socket, s.File, (long*)s.Offset, s.Count));
            }
        }

        /// <summary>Shuts down one or both directions.</summary>
        /// <param name="fd">The socket.</param>
        /// <param name="how">SHUT_RD, SHUT_WR or SHUT_RDWR.</param>
        /// <returns>0 or -errno.</returns>
        public static nint Shutdown(int fd, int how) => Sys.Shutdown(fd, how);

        /// <summary>Closes a connection's descriptor (never retried: see <see cref="FileDescriptor"/>).</summary>
        /// <param name="fd">The descriptor.</param>
        /// <returns>0 or -errno.</returns>
        public static nint Close(int fd) => Sys.Close(fd);
    }
}
