// The listener's options in one place, so every event loop's socket is opened the same way.
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Net
{
    /// <summary>A non-blocking TCP listener, opened with the options a server wants.</summary>
    internal static unsafe class ListeningSocket
    {
        /// <summary>
        /// Creates, binds and listens, with TCP_NODELAY for the connections it accepts. SO_REUSEADDR lets a restarted server bind at once despite
        /// connections in TIME_WAIT; with <paramref name="reusePort"/>, several listeners (one per event
        /// loop) share the port and the kernel spreads new connections among them.
        /// </summary>
        /// <param name="endpoint">Address and port (0 picks a free port).</param>
        /// <param name="backlog">Length of the accept queue.</param>
        /// <param name="reusePort">Set SO_REUSEPORT.</param>
        /// <returns>The listening socket.</returns>
        /// <exception cref="SyscallException">"bind 127.0.0.1:8080: EADDRINUSE (Address already in use)" and the like.</exception>
        public static FileDescriptor Open(InetEndpoint endpoint, int backlog = 4096, bool reusePort = false)
        {
            var socket = FileDescriptor.FromResult(
                Sys.Socket(endpoint.Family, Sys.SOCK_STREAM | Sys.SOCK_NONBLOCK | Sys.SOCK_CLOEXEC, 0), "socket", endpoint.ToString());
            try
            {
                int fd = socket.Value;
                SetFlag(fd, Sys.SOL_SOCKET, Sys.SO_REUSEADDR, "SO_REUSEADDR");
                if (reusePort)
                {
                    SetFlag(fd, Sys.SOL_SOCKET, Sys.SO_REUSEPORT, "SO_REUSEPORT");
                }

                SockAddrIn6 address = endpoint.Raw;
                Syscall.Check(Sys.Bind(fd, (SockAddr*)&address, (uint)endpoint.Length), "bind", endpoint.ToString());
                // Accepted sockets inherit TCP_NODELAY from the listener on Linux: one setsockopt here
                // instead of one per connection.
                SetFlag(fd, Sys.IPPROTO_TCP, Sys.TCP_NODELAY, "TCP_NODELAY");
                Syscall.Check(Sys.Listen(fd, backlog), "listen", endpoint.ToString());
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>Sets a boolean socket option.</summary>
        /// <param name="fd">The socket.</param>
        /// <param name="level">SOL_SOCKET, IPPROTO_TCP, ….</param>
        /// <param name="option">The option.</param>
        /// <param name="name">Its name, for the error.</param>
        public static void SetFlag(int fd, int level, int option, string name)
        {
            int one = 1;
            Syscall.Check(Sys.Setsockopt(fd, level, option, &one, sizeof(int)), "setsockopt", name);
        }
    }
}
