using System;
using EmbedKv.Runtime.Events;
using EmbedKv.Server.Storage.Watch;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// Where the store tells one event loop that a key its long-polls wait on changed (a sink of the
    /// store's <see cref="KeyChangeFeed"/>): the hashes are queued for the loop, which wakes the waiting
    /// reads on them (<see cref="WaitingReads"/>) on its next turn.
    /// </summary>
    internal sealed class LoopKeyChanges : IKeyChangeSink
    {
        private readonly WakeQueue<(ulong Hash, ulong Sequence)> _queue;

        public LoopKeyChanges(EventFd wake) => _queue = new WakeQueue<(ulong, ulong)>(wake);

        public bool IsEmpty => _queue.IsEmpty;

        public void BindToCurrentThread() => _queue.BindToCurrentThread();

        public void OnKeyChanged(ulong hash, ulong sequence) => _queue.Add((hash, sequence));

        /// <summary>Takes the changes queued; valid until the next call.</summary>
        public ReadOnlySpan<(ulong Hash, ulong Sequence)> Drain() => _queue.Drain();
    }
}
