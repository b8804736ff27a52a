// The spare descriptor that lets an accept loop get out of EMFILE instead of spinning on it.
using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Descriptors
{
    /// <summary>
    /// A descriptor held only to be given up when the process runs out of them. A server whose accept
    /// fails with EMFILE cannot take the waiting connection off the queue, so level-triggered epoll
    /// reports it again at once, forever; with one number set free it can accept that connection, answer
    /// and close it, and take the number back (libuv does the same). An eventfd serves: it needs no path
    /// (no /dev/null in an empty chroot) and costs the kernel a counter. Not thread-safe: one owner.
    /// </summary>
    internal sealed class ReserveDescriptor : IDisposable
    {
        private FileDescriptor? _held;

        private ReserveDescriptor(FileDescriptor held) => _held = held;

        /// <summary>Whether the descriptor is held now (false after <see cref="Release"/> until <see cref="TryRetake"/> succeeds).</summary>
        public bool IsHeld => _held is not null;

        /// <summary>Opens the reserve.</summary>
        /// <returns>The reserve, held.</returns>
        /// <exception cref="SyscallException">eventfd2 failed (EMFILE: the process is out of descriptors already).</exception>
        public static ReserveDescriptor Open() => new ReserveDescriptor(FileDescriptor.FromResult(Create(), "eventfd2", "reserve descriptor"));

        /// <summary>Closes the descriptor, so the next one the process opens can have its number. Does nothing if not held.</summary>
        public void Release()
        {
            _held?.Dispose();
            _held = null;
        }

        /// <summary>Opens the descriptor again if it is not held; false if that fails (the process is still out of descriptors).</summary>
        /// <returns>Whether it is held now.</returns>
        public bool TryRetake()
        {
            if (_held is null)
            {
                nint result = Create();
                if (!Syscall.IsError(result))
                {
                    _held = new FileDescriptor((int)result);
                }
            }

            return _held is not null;
        }

        /// <inheritdoc/>
        public void Dispose() => Release();

        private static nint Create() => Sys.Eventfd2(0, Sys.EFD_CLOEXEC);
    }
}
