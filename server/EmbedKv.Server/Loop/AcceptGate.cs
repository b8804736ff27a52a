using System;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Descriptors;
using EmbedKv.Runtime.Events;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// Whether one loop's listener is in its epoll, and what happens when accept fails for want of
    /// descriptors (EMFILE, ENFILE) or of kernel memory (ENOBUFS, ENOMEM). Such a failure leaves the
    /// client in the queue and the listener readable, so level-triggered epoll would wake the loop again
    /// at once, forever: a core spent on nothing while no one is served. Instead, as nginx and libuv do,
    /// the loop answers the waiting clients with the number of a reserve descriptor set free for the
    /// purpose (see <see cref="ReserveDescriptor"/>), takes the listener out of epoll, and puts it back
    /// after a back-off to try again. The loop's thread alone uses it.
    /// </summary>
    internal sealed class AcceptGate : IDisposable
    {
        /// <summary>
        /// Long enough that a loop out of descriptors costs next to nothing (four tries a second), short
        /// enough that a client arriving once descriptors are free again waits little.
        /// </summary>
        public const int BackOffMilliseconds = 250;

        /// <summary>
        /// Most clients answered 503 in one go while out of descriptors: enough to empty a queue that
        /// filled up, few enough that a flood of new clients cannot hold the loop from its connections.
        /// </summary>
        public const int MostRefusedAtOnce = 256;

        private readonly Epoll _epoll;
        private readonly int _listener;
        private readonly uint _listenerEvents;
        private readonly ulong _listenerTag;
        private readonly ReserveDescriptor _reserve;
        private readonly DescriptorShortage _shortage;
        private bool _short;
        private long _resumeAt;

        /// <summary>Opens the reserve descriptor and puts the listener into <paramref name="epoll"/>.</summary>
        public AcceptGate(Epoll epoll, int listener, uint listenerEvents, ulong listenerTag, DescriptorShortage shortage)
        {
            _epoll = epoll;
            _listener = listener;
            _listenerEvents = listenerEvents;
            _listenerTag = listenerTag;
            _shortage = shortage;
            _reserve = ReserveDescriptor.Open();
            Syscall.Check(_epoll.Add(listener, listenerEvents, listenerTag), "epoll_ctl", "listener");
            IsOpen = true;
        }

        /// <summary>True while the listener is in epoll; false during a back-off.</summary>
        public bool IsOpen { get; private set; }

        /// <summary>Whether accept's result says the process lacks descriptors or kernel memory (not that the queue is empty).</summary>
        public static bool IsShortage(int acceptResult) =>
            acceptResult == -Sys.EMFILE || acceptResult == -Sys.ENFILE || acceptResult == -Sys.ENOBUFS || acceptResult == -Sys.ENOMEM;

        /// <summary>
        /// Closes the reserve descriptor so that one more accept can succeed: true if that can help (the
        /// shortage is of descriptors, not memory, and the reserve was held). Call <see cref="RetakeReserve"/> after.
        /// </summary>
        public bool ReleaseReserve(int error)
        {
            if ((error != -Sys.EMFILE && error != -Sys.ENFILE) || !_reserve.IsHeld)
            {
                return false;
            }

            _reserve.Release();
            return true;
        }

        /// <summary>Opens the reserve again; if another thread took the number meanwhile, <see cref="TryResume"/> tries later.</summary>
        public void RetakeReserve() => _reserve.TryRetake();

        /// <summary>Counts a client answered 503 for want of a descriptor.</summary>
        public void Refused() => _shortage.Refused();

        /// <summary>Takes the listener out of epoll for a back-off; the first pause of an episode is logged.</summary>
        public void Pause(int error, long now)
        {
            if (IsOpen)
            {
                _epoll.Remove(_listener);
                IsOpen = false;
            }

            _resumeAt = now + BackOffMilliseconds;
            if (!_short)
            {
                _short = true;
                _shortage.Began(error, BackOffMilliseconds, now);
            }
        }

        /// <summary>How long the loop may sleep: <paramref name="longest"/>, or less if a back-off ends sooner.</summary>
        public int WaitMilliseconds(long now, int longest) => IsOpen ? longest : (int)Math.Clamp(_resumeAt - now, 0, longest);

        /// <summary>
        /// Once the back-off is over, takes the reserve back and puts the listener into epoll again: true
        /// if the loop should accept now. Without a descriptor for the reserve, another back-off begins.
        /// </summary>
        public bool TryResume(long now)
        {
            if (IsOpen || now < _resumeAt)
            {
                return false;
            }

            if (!_reserve.TryRetake() || _epoll.Add(_listener, _listenerEvents, _listenerTag) < 0)
            {
                _resumeAt = now + BackOffMilliseconds;
                return false;
            }

            IsOpen = true;
            return true;
        }

        /// <summary>Accept did not fail for want of resources (it accepted, or found the queue empty): an episode, if any, is over.</summary>
        public void Recovered(long now)
        {
            if (_short)
            {
                _short = false;
                _shortage.Ended(now);
            }
        }

        /// <inheritdoc/>
        public void Dispose() => _reserve.Dispose();
    }
}
