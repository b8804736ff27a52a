using System;
using EmbedKv.Runtime.Events;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// Where the storage engine reports finished writes for one event loop: the loop drains them each
    /// turn, woken by its eventfd when the report comes from another thread (the commit thread, or another
    /// loop's round). Reports made on the loop's own thread (Batched and None modes, and the rounds the loop
    /// runs before it sleeps) wake nothing.
    /// </summary>
    internal sealed class LoopCompletions : IWriteCompletion
    {
        private readonly WakeQueue<(ulong Token, WriteOutcome Outcome, ulong Version)> _queue;

        public LoopCompletions(EventFd wake) => _queue = new WakeQueue<(ulong, WriteOutcome, ulong)>(wake);

        public bool IsEmpty => _queue.IsEmpty;

        /// <summary>The loop commits or hands over its writes before each sleep (<see cref="EventLoop"/>).</summary>
        public bool CommitsBeforeSleep => true;

        public void BindToCurrentThread() => _queue.BindToCurrentThread();

        public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version) => _queue.Add((token, outcome, version));

        /// <summary>The loop is ending: reports from now on are dropped (see <see cref="WakeQueue{T}.Close"/>).</summary>
        public void Close() => _queue.Close();

        /// <summary>Takes everything queued; valid until the next call.</summary>
        public ReadOnlySpan<(ulong Token, WriteOutcome Outcome, ulong Version)> Drain() => _queue.Drain();
    }
}
