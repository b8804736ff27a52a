// A Unix domain socket address as the kernel wants it: sockaddr_un, checked against its fixed size
// once, where the path is configured, rather than truncated or refused later by bind.
using System;
using System.Text;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Net
{
    /// <summary>
    /// A Unix domain socket address: a filesystem path ("/run/embedkv/embedkv.sock", or relative to the
    /// working directory), or a Linux abstract name written with a leading '@' ("@embedkv"), which lives
    /// in the network namespace, not the filesystem: no file, no permissions, nothing to remove.
    /// </summary>
    internal readonly unsafe struct UnixEndpoint
    {
        /// <summary>Bytes of sun_path that a name may use: 108 less the path's NUL (or the abstract name's leading NUL).</summary>
        public const int MaxNameBytes = 107;

        // sun_family precedes sun_path: offsetof(struct sockaddr_un, sun_path).
        private const int PathOffset = sizeof(ushort);

        // Strict: a lone surrogate would otherwise become U+FFFD and silently name another socket.
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        private readonly SockAddrUn _address;

        private UnixEndpoint(SockAddrUn address, int length, string path, bool isAbstract)
        {
            _address = address;
            Length = length;
            Path = path;
            IsAbstract = isAbstract;
        }

        /// <summary>The path as given ("@name" for an abstract name).</summary>
        public string Path { get; }

        /// <summary>True for a Linux abstract name ("@name").</summary>
        public bool IsAbstract { get; }

        /// <summary>Bytes of the sockaddr to pass to bind, connect or sendto.</summary>
        public int Length { get; }

        /// <summary>The sockaddr bytes (its first <see cref="Length"/> bytes are the address).</summary>
        internal SockAddrUn Raw => _address;

        /// <summary>Checks and encodes a socket path or '@' abstract name.</summary>
        /// <param name="path">A filesystem path, or '@' and an abstract name.</param>
        /// <returns>The endpoint.</returns>
        /// <exception cref="ArgumentException">Empty, contains NUL, is not valid UTF-16, or does not fit sun_path.</exception>
        public static UnixEndpoint Parse(string path)
        {
            ArgumentNullException.ThrowIfNull(path);
            bool isAbstract = path.StartsWith('@');
            string name = isAbstract ? path.Substring(1) : path;
            if (name.Length == 0)
            {
                throw new ArgumentException(isAbstract ? "An abstract Unix socket name must not be empty after the '@'." : "A Unix socket path must not be empty.", nameof(path));
            }

            // The kernel stops a path at its first NUL (and an abstract name would silently include it).
            if (name.Contains('\0'))
            {
                throw new ArgumentException("A Unix socket path must not contain NUL characters: " + path.Replace("\0", "\\0", StringComparison.Ordinal), nameof(path));
            }

            int bytes;
            try
            {
                bytes = StrictUtf8.GetByteCount(name);
            }
            catch (EncoderFallbackException e)
            {
                throw new ArgumentException("A Unix socket path must be valid Unicode: " + path, nameof(path), e);
            }

            if (bytes > MaxNameBytes)
            {
                throw new ArgumentException(
                    "Unix socket path '" + path + "' is " + bytes + " bytes long; sockaddr_un holds at most " + MaxNameBytes
                    + " bytes (108 with the " + (isAbstract ? "abstract name's leading NUL" : "terminating NUL") + "). Use a shorter path, such as one under /run.",
                    nameof(path));
            }

            var raw = new SockAddrUn { Family = Sys.AF_UNIX };
            var sunPath = new Span<byte>(raw.Path, 108);
            if (isAbstract)
            {
                // sun_path[0] = NUL, then the name; the length, not a NUL, ends it (as systemd and ss write it).
                StrictUtf8.GetBytes(name, sunPath.Slice(1));
                return new UnixEndpoint(raw, PathOffset + 1 + bytes, path, isAbstract: true);
            }

            StrictUtf8.GetBytes(name, sunPath);
            return new UnixEndpoint(raw, PathOffset + bytes + 1, path, isAbstract: false);
        }

        /// <summary>"unix:/run/embedkv/embedkv.sock" or "unix:@name", for messages.</summary>
        /// <returns>The text.</returns>
        public override string ToString() => "unix:" + Path;
    }
}
