using System;
using EmbedKv.Runtime.Events;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// Where the storage engine reports finished writes for one event loop: a queue the loop drains
    /// each turn, plus its eventfd to wake it when the report comes from the commit thread. The loop
    /// never waits for the disk; it just hears about it.
    /// </summary>
    internal sealed class LoopCompletions : IWriteCompletion
    {
        private readonly object _lock = new object();
        private readonly EventFd _wake;
        private (ulong Token, WriteOutcome Outcome, ulong Version)[] _queue = new (ulong, WriteOutcome, ulong)[256];
        private (ulong Token, WriteOutcome Outcome, ulong Version)[] _draining = new (ulong, WriteOutcome, ulong)[256];
        private int _count;
        private int _loopThreadId;
        private bool _signalled;

        public LoopCompletions(EventFd wake) => _wake = wake;

        public void BindToCurrentThread() => _loopThreadId = Environment.CurrentManagedThreadId;

        public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
        {
            bool signal;
            lock (_lock)
            {
                if (_count == _queue.Length)
                {
                    Array.Resize(ref _queue, _queue.Length * 2);
                }

                _queue[_count++] = (token, outcome, version);

                // Called inline on the loop's own thread (Batched and None modes), the loop drains the
                // queue before it sleeps; from the commit thread, one wake-up per batch is enough.
                signal = !_signalled && Environment.CurrentManagedThreadId != _loopThreadId;
                _signalled |= signal;
            }

            if (signal)
            {
                _wake.Signal();
            }
        }

        /// <summary>Takes everything queued; valid until the next call.</summary>
        public ReadOnlySpan<(ulong Token, WriteOutcome Outcome, ulong Version)> Drain()
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
    }
}
