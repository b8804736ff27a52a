// Cross-thread wake-ups for an event loop; the loop sleeps in epoll, so a counter it can watch is enough.
using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Events
{
    /// <summary>
    /// An eventfd: a counter another thread bumps to wake an event loop (a storage completion, a stop
    /// request). Non-blocking; many signals before the loop wakes coalesce into one readiness.
    /// </summary>
    internal sealed unsafe class EventFd : IDisposable
    {
        private readonly FileDescriptor _fd;

        private EventFd(FileDescriptor fd) => _fd = fd;

        /// <summary>The descriptor to watch for EPOLLIN.</summary>
        public int Descriptor => _fd.Value;

        /// <summary>Creates a non-blocking, close-on-exec eventfd.</summary>
        /// <returns>The eventfd.</returns>
        public static EventFd Create() => new EventFd(FileDescriptor.FromResult(Sys.Eventfd2(0, Sys.EFD_NONBLOCK | Sys.EFD_CLOEXEC), "eventfd2"));

        /// <summary>Wakes the watcher. Safe from any thread.</summary>
        public void Signal()
        {
            ulong one = 1;
            nint result = Syscall.RetryInterrupted((Fd: _fd.Value, Value: (nint)(&one)), static s => Sys.Write(s.Fd, (byte*)s.Value, sizeof(ulong)));

            // EAGAIN means the counter is saturated: the watcher has a wake-up pending anyway.
            if (result != -Sys.EAGAIN)
            {
                Syscall.Check(result, "write", "eventfd");
            }
        }

        /// <summary>Resets the counter after a wake-up; returns how many signals it held.</summary>
        /// <returns>The count (0 if there was none).</returns>
        public ulong Drain()
        {
            ulong count = 0;
            nint result = Syscall.RetryInterrupted((Fd: _fd.Value, Count: (nint)(&count)), static s => Sys.Read(s.Fd, (byte*)s.Count, sizeof(ulong)));

            return result == -Sys.EAGAIN ? 0 : (ulong)Syscall.Check(result, "read", "eventfd") == sizeof(ulong) ? count : 0;
        }

        /// <inheritdoc/>
        public void Dispose() => _fd.Dispose();
    }
}
