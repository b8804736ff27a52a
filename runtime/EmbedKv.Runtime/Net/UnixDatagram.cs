// One datagram to a Unix datagram socket, the way sd_notify(3) sends: a fresh unbound socket per
// message, so nothing is held between the rare notifications.
using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Net
{
    /// <summary>
    /// Sends single datagrams to a Unix datagram socket: systemd's $NOTIFY_SOCKET and the like. Public
    /// because the standalone host, which uses no internals of the runtime, sends its readiness with it.
    /// </summary>
    public static unsafe class UnixDatagram
    {
        /// <summary>
        /// Sends <paramref name="datagram"/> to the socket at <paramref name="address"/>, a filesystem path or
        /// '@' and a Linux abstract name (systemd's form, "@/org/freedesktop/systemd1/notify/..."). Blocks while
        /// the receiver's queue is full, as sd_notify does.
        /// </summary>
        /// <param name="address">A socket path, or '@' and an abstract name.</param>
        /// <param name="datagram">The bytes, sent as one datagram.</param>
        /// <exception cref="ArgumentException">The address is empty or does not fit sockaddr_un (107 bytes).</exception>
        /// <exception cref="SyscallException">"sendto unix:/run/x.sock: ECONNREFUSED (Connection refused)" (nobody bound there), ENOENT, EACCES, ….</exception>
        public static void Send(string address, ReadOnlySpan<byte> datagram)
        {
            UnixEndpoint endpoint = UnixEndpoint.Parse(address);
            using FileDescriptor socket = FileDescriptor.FromResult(
                Sys.Socket(Sys.AF_UNIX, Sys.SOCK_DGRAM | Sys.SOCK_CLOEXEC, 0), "socket", endpoint.ToString());
            SockAddrUn raw = endpoint.Raw;
            fixed (byte* data = datagram)
            {
                nint sent = Syscall.RetryInterrupted(
                    (Fd: socket.Value, Data: (nint)data, Length: (nuint)datagram.Length, Address: (nint)(&raw), AddressLength: (uint)endpoint.Length),
                    static s => Sys.Sendto(s.Fd, (byte*)s.Data, s.Length, Sys.MSG_NOSIGNAL, (SockAddr*)s.Address, s.AddressLength));
                Syscall.Check(sent, "sendto", endpoint.ToString());
            }
        }
    }
}
