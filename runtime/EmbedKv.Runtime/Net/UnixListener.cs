// A listening Unix socket and the file it put in the filesystem, which outlives the descriptor unless
// removed: the two are owned together so the server cannot close one and forget the other.
using System;
using System.Threading;

namespace EmbedKv.Runtime.Net
{
    /// <summary>A listening Unix stream socket from <see cref="UnixListeningSocket.Open(string, uint, int)"/>.</summary>
    internal sealed class UnixListener : IDisposable
    {
        private readonly UnixSocketFile? _file;
        private int _removed;

        internal UnixListener(FileDescriptor descriptor, UnixEndpoint endpoint, UnixSocketFile? file)
        {
            Descriptor = descriptor;
            Endpoint = endpoint;
            _file = file;
        }

        /// <summary>The non-blocking, close-on-exec listening socket; accept with <see cref="SocketOps.Accept"/>.</summary>
        public FileDescriptor Descriptor { get; }

        /// <summary>The address it listens on.</summary>
        public UnixEndpoint Endpoint { get; }

        /// <summary>The socket file bind created (device and inode); null for an abstract name.</summary>
        public UnixSocketFile? File => _file;

        /// <summary>
        /// Removes the socket file if it is still this listener's, once. Call it when a stop begins, before
        /// the listener stops accepting: while the file is ours and connect succeeds, another server
        /// refuses the path instead of taking it, so the check here cannot race with a replacement.
        /// </summary>
        /// <returns>True if this call removed the file; false for an abstract name, a second call, or a path that is gone or another's.</returns>
        /// <exception cref="SyscallException">lstat or unlink failed otherwise.</exception>
        public bool RemoveFile()
        {
            if (_file is not { } file || Interlocked.Exchange(ref _removed, 1) != 0)
            {
                return false;
            }

            return file.RemoveIfOurs();
        }

        /// <summary>Removes the socket file if still ours (see <see cref="RemoveFile"/>), then closes the socket.</summary>
        public void Dispose()
        {
            try
            {
                RemoveFile();
            }
            catch (SyscallException)
            {
                // The file stays behind, stale once the socket is closed: the next Open on the path
                // finds nobody listening and replaces it. A caller who wants the error calls RemoveFile.
            }
            finally
            {
                Descriptor.Dispose();
            }
        }

        /// <inheritdoc/>
        public override string ToString() => Endpoint.ToString();
    }
}
