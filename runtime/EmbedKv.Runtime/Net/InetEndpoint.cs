// Socket addresses without System.Net's sockets: the runtime hands the kernel raw sockaddr bytes.
using System;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Net
{
    /// <summary>
    /// An IPv4 or IPv6 address and port as the kernel wants it (sockaddr_in or sockaddr_in6).
    /// System.Net.IPAddress only parses the text, once, at startup; no socket of System.Net is used.
    /// </summary>
    internal readonly unsafe struct InetEndpoint
    {
        private readonly SockAddrIn6 _address; // large enough for either family; sockaddr_in is its prefix

        private InetEndpoint(SockAddrIn6 address, int length)
        {
            _address = address;
            Length = length;
        }

        /// <summary>Bytes of the sockaddr.</summary>
        public int Length { get; }

        /// <summary>AF_INET or AF_INET6.</summary>
        public int Family => _address.Family;

        /// <summary>The port, in host order.</summary>
        public int Port => BinaryPrimitives.ReverseEndianness(_address.Port);

        /// <summary>Parses "127.0.0.1", "::1", "0.0.0.0", … with a port.</summary>
        /// <param name="address">An IPv4 or IPv6 address literal.</param>
        /// <param name="port">0..65535; 0 lets the kernel pick.</param>
        /// <returns>The endpoint.</returns>
        public static InetEndpoint Parse(string address, int port)
        {
            if (port < 0 || port > 65535)
            {
                throw new ArgumentOutOfRangeException(nameof(port), port, "A port is 0..65535.");
            }

            if (!IPAddress.TryParse(address, out IPAddress? ip))
            {
                throw new FormatException("'" + address + "' is not an IPv4 or IPv6 address.");
            }

            var raw = default(SockAddrIn6);
            ushort networkPort = BinaryPrimitives.ReverseEndianness((ushort)port);
            Span<byte> bytes = stackalloc byte[16];
            ip.TryWriteBytes(bytes, out int length);
            if (length == 4)
            {
                var v4 = new SockAddrIn { Family = Sys.AF_INET, Port = networkPort };
                bytes.Slice(0, 4).CopyTo(new Span<byte>(&v4.Addr, 4));
                *(SockAddrIn*)&raw = v4;
                return new InetEndpoint(raw, sizeof(SockAddrIn));
            }

            raw.Family = Sys.AF_INET6;
            raw.Port = networkPort;
            raw.ScopeId = (uint)ip.ScopeId;
            bytes.CopyTo(new Span<byte>(raw.Addr, 16));
            return new InetEndpoint(raw, sizeof(SockAddrIn6));
        }

        /// <summary>The endpoint a socket is bound to (getsockname).</summary>
        /// <param name="fd">A bound socket.</param>
        /// <returns>Its local endpoint.</returns>
        public static InetEndpoint LocalOf(int fd)
        {
            var raw = default(SockAddrIn6);
            uint length = (uint)sizeof(SockAddrIn6);
            Syscall.Check(Sys.Getsockname(fd, (SockAddr*)&raw, &length), "getsockname");
            return new InetEndpoint(raw, (int)length);
        }

        /// <summary>
        /// The address of <paramref name="fd"/>'s peer, without its port ("127.0.0.1", "::1"), "unix" for a Unix
        /// domain socket, or "unknown" if the peer is gone: for logs, so it never throws.
        /// </summary>
        /// <param name="fd">A connected socket.</param>
        /// <returns>The address as text.</returns>
        public static string PeerAddressOf(int fd)
        {
            var raw = default(SockAddrIn6);
            uint length = (uint)sizeof(SockAddrIn6);
            if (Sys.Getpeername(fd, (SockAddr*)&raw, &length) < 0)
            {
                return "unknown";
            }

            if (raw.Family == Sys.AF_INET)
            {
                SockAddrIn v4 = *(SockAddrIn*)&raw;
                return new IPAddress(new ReadOnlySpan<byte>(&v4.Addr, 4)).ToString();
            }

            return raw.Family == Sys.AF_INET6 ? new IPAddress(new ReadOnlySpan<byte>(raw.Addr, 16), raw.ScopeId).ToString() : "unix";
        }

        /// <summary>The sockaddr bytes (its first <see cref="Length"/> bytes are the address).</summary>
        internal SockAddrIn6 Raw => _address;

        /// <summary>"127.0.0.1:8080" or "[::1]:8080".</summary>
        /// <returns>The text.</returns>
        public override string ToString()
        {
            SockAddrIn6 copy = _address;
            if (copy.Family == Sys.AF_INET)
            {
                SockAddrIn v4 = *(SockAddrIn*)&copy;
                return new IPAddress(new ReadOnlySpan<byte>(&v4.Addr, 4)) + ":" + Port.ToString(CultureInfo.InvariantCulture);
            }

            return "[" + new IPAddress(new ReadOnlySpan<byte>(copy.Addr, 16), copy.ScopeId) + "]:" + Port.ToString(CultureInfo.InvariantCulture);
        }
    }
}
