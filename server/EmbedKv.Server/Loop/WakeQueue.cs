using System;
using EmbedKv.Runtime.Events;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// What other threads hand one event loop: a queue the loop drains each turn, plus its eventfd to wake
    /// it. A report made on the loop's own thread needs no wake-up (the loop drains before it sleeps);
    /// from another thread, one wake-up per drain is enough however many reports arrive.
    /// </summary>
    internal sealed class WakeQueue<T>
        where T : struct
    {
        private readonly object _lock = new object();
        private readonly EventFd _wake;
        private T[] _queue = new T[256];
        private T[] _draining = new T[256];
        private int _count;
        private int _loopThreadId;
        private bool _signalled;
        private bool _closed;

        public WakeQueue(EventFd wake) => _wake = wake;

        public bool IsEmpty
        {
            get
            {
                lock (_lock)
                {
                    return _count == 0;
                }
            }
        }

        /// <summary>The loop's thread: reports made on it wake nothing.</summary>
        public void BindToCurrentThread() => _loopThreadId = Environment.CurrentManagedThreadId;

        public void Add(in T item)
        {
            bool signal;
            lock (_lock)
            {
                if (_count == _queue.Length)
                {
                    Array.Resize(ref _queue, _queue.Length * 2);
                }

                if (_closed)
                {
                    return; // the loop is gone, and its eventfd with it: a late report finds no one
                }

                _queue[_count++] = item;
                signal = !_signalled && Environment.CurrentManagedThreadId != _loopThreadId;
                _signalled |= signal;
            }

            if (signal)
            {
                _wake.Signal();
            }
        }

        /// <summary>Takes everything queued; valid until the next call.</summary>
        /// <summary>
        /// The loop is ending: later reports are dropped rather than signal an eventfd that is about to be
        /// closed, whose number the process may give to another file (a remote backend may report after a stop).
        /// </summary>
        public void Close()
        {
            lock (_lock)
            {
                _closed = true;
            }
        }

        public ReadOnlySpan<T> Drain()
        {
            lock (_lock)
            {
                (_queue, _draining) = (_draining, _queue);
                int count = _count;
                _count = 0;
                _signalled = false;
                return _draining.AsSpan(0, count);
            }
        }
    }
}
