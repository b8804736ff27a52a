using EmbedKv.Server.Kv;
using EmbedKv.Server.Storage.Watch;

namespace EmbedKv.Server.Loop
{
    /// <summary>Where a <see cref="WaitingRead"/> is in its loop's <see cref="WaitingReads"/>.</summary>
    internal enum WaitState : byte
    {
        /// <summary>In the pool, or being filled by a handler.</summary>
        Free,

        /// <summary>On its key's chain and in the deadline heap: it waits.</summary>
        Waiting,

        /// <summary>Its key changed or its time came: it is answered on the loop's next step.</summary>
        Woken,
    }

    /// <summary>
    /// One long-poll as its event loop keeps it: the handler's <see cref="ReadWait"/>, the connection it
    /// answers on, its place on its key's chain and in the deadline heap. Pooled by the loop.
    /// </summary>
    internal sealed class WaitingRead : IWatchLink<WaitingRead>
    {
        public ReadWait Read { get; } = new ReadWait();

        /// <summary>The key's watch hash (the read's).</summary>
        public ulong Hash => Read.Hash;

        /// <summary>The connection it answers on; null once that closed while the wait was being woken.</summary>
        public SocketConnection? Connection { get; set; }

        public WaitState State { get; set; }

        /// <summary>
        /// Woken by a change of its key (or the server stopping): answered as the key stands, whatever that
        /// is. Woken by its deadline instead, a wait whose value has not yet expired by the store's clock waits on.
        /// </summary>
        public bool AnswerNow { get; set; }

        /// <summary>The end of the wait (monotonic milliseconds).</summary>
        public long Ends { get; set; }

        /// <summary>When the heap wakes it: its end, or sooner, the second its value expires.</summary>
        public long Due { get; set; }

        public WaitingRead? Next { get; set; }

        public WaitingRead? Previous { get; set; }

        public int HeapIndex { get; set; } = -1;
    }
}
