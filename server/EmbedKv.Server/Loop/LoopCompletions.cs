using System;
using EmbedKv.Runtime.Events;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// Where the storage engine reports finished writes for one event loop: the loop drains them each
    /// turn, woken by its eventfd when the report comes from the commit thread (in Batched and None modes
    /// it is made inline, on the loop's own thread). The loop never waits for the disk; it just hears about it.
    /// </summary>
    internal sealed class LoopCompletions : IWriteCompletion
    {
        private readonly WakeQueue<(ulong Token, WriteOutcome Outcome, ulong Version)> _queue;

        public LoopCompletions(EventFd wake) => _queue = new WakeQueue<(ulong, WriteOutcome, ulong)>(wake);

        public bool IsEmpty => _queue.IsEmpty;

        public void BindToCurrentThread() => _queue.BindToCurrentThread();

        public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version) => _queue.Add((token, outcome, version));

        /// <summary>Takes everything queued; valid until the next call.</summary>
        public ReadOnlySpan<(ulong Token, WriteOutcome Outcome, ulong Version)> Drain() => _queue.Drain();
    }
}
