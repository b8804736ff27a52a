// The readiness queue event loops sleep on; interest calls stay raw because they run per connection.
using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Events
{
    /// <summary>
    /// An epoll instance: the readiness queue an event loop sleeps on. Interest calls return raw results
    /// (hot path); <see cref="Wait"/> hides EINTR, which the runtime's own signals cause (a timeout of 0
    /// ready descriptors looks the same to the caller).
    /// </summary>
    internal sealed unsafe class Epoll : IDisposable
    {
        /// <summary>sizeof(sigset_t) in the kernel (64 signals), which epoll_pwait checks only when given a mask.</summary>
        private const nuint KernelSigsetSize = 8;

        private readonly FileDescriptor _fd;

        // aarch64's epoll_event is 16 bytes with natural alignment, x86_64's is packed into 12, and the
        // signatures take x86_64's: on aarch64 the kernel fills this buffer, whose entries Wait copies
        // into the caller's. Allocated at the first wait, sized to the largest span seen.
        private Interop.Aarch64.EpollEvent[]? _aarch64Events;

        private Epoll(FileDescriptor fd) => _fd = fd;

        /// <summary>The epoll descriptor.</summary>
        public int Descriptor => _fd.Value;

        /// <summary>Creates an epoll instance (close-on-exec).</summary>
        /// <returns>The instance.</returns>
        public static Epoll Create() => new Epoll(FileDescriptor.FromResult(Sys.EpollCreate1(Sys.EPOLL_CLOEXEC), "epoll_create1"));

        /// <summary>Starts watching <paramref name="fd"/>.</summary>
        /// <param name="fd">The descriptor.</param>
        /// <param name="events">EPOLLIN, EPOLLOUT, EPOLLET, EPOLLEXCLUSIVE, ….</param>
        /// <param name="data">Returned with each event (a connection's slot, say).</param>
        /// <returns>0 or -errno.</returns>
        public nint Add(int fd, uint events, ulong data) => Control(Sys.EPOLL_CTL_ADD, fd, events, data);

        /// <summary>Changes what <paramref name="fd"/> is watched for.</summary>
        /// <param name="fd">The descriptor.</param>
        /// <param name="events">The new events.</param>
        /// <param name="data">Returned with each event.</param>
        /// <returns>0 or -errno.</returns>
        public nint Modify(int fd, uint events, ulong data) => Control(Sys.EPOLL_CTL_MOD, fd, events, data);

        /// <summary>Stops watching <paramref name="fd"/> (closing it does that too, unless it was duplicated).</summary>
        /// <param name="fd">The descriptor.</param>
        /// <returns>0 or -errno.</returns>
        public nint Remove(int fd) => Control(Sys.EPOLL_CTL_DEL, fd, 0, 0);

        /// <summary>Sleeps until descriptors are ready or <paramref name="timeoutMilliseconds"/> pass (-1: no limit).</summary>
        /// <param name="events">Filled with ready descriptors.</param>
        /// <param name="timeoutMilliseconds">The longest wait.</param>
        /// <returns>How many entries of <paramref name="events"/> were filled (0 on timeout or interruption).</returns>
        public int Wait(Span<EpollEvent> events, int timeoutMilliseconds)
        {
            if (StubPage.IsAarch64)
            {
                return WaitAarch64(events, timeoutMilliseconds);
            }

            fixed (EpollEvent* p = events)
            {
                return Ready(PollWait(p, events.Length, timeoutMilliseconds));
            }
        }

        /// <inheritdoc/>
        public void Dispose() => _fd.Dispose();

        private nint Control(int operation, int fd, uint events, ulong data)
        {
            if (StubPage.IsAarch64)
            {
                var wide = new Interop.Aarch64.EpollEvent { Events = events, Data = data };
                return Sys.EpollCtl(_fd.Value, operation, fd, (EpollEvent*)&wide);
            }

            var interest = new EpollEvent { Events = events, Data = data };
            return Sys.EpollCtl(_fd.Value, operation, fd, &interest);
        }

        // epoll_pwait rather than epoll_wait, which arm64's generic syscall table lacks; with no signal
        // mask it is epoll_wait.
        private nint PollWait(EpollEvent* events, int count, int timeoutMilliseconds)
            => Sys.EpollPwait(_fd.Value, events, count, timeoutMilliseconds, null, KernelSigsetSize);

        private int WaitAarch64(Span<EpollEvent> events, int timeoutMilliseconds)
        {
            if (_aarch64Events is null || _aarch64Events.Length < events.Length)
            {
                _aarch64Events = new Interop.Aarch64.EpollEvent[events.Length];
            }

            fixed (Interop.Aarch64.EpollEvent* wide = _aarch64Events)
            {
                int ready = Ready(PollWait((EpollEvent*)wide, events.Length, timeoutMilliseconds));
                for (int i = 0; i < ready; i++)
                {
                    events[i] = new EpollEvent { Events = wide[i].Events, Data = wide[i].Data };
                }

                return ready;
            }
        }

        private static int Ready(nint result)
            => result == -Sys.EINTR ? 0 : (int)Syscall.Check(result, "epoll_pwait");
    }
}
