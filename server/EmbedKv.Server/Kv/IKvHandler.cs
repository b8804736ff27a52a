using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// The key-value application as a connection drives it: <see cref="KvHandler"/> on the local store, or
    /// <see cref="Remote.RemoteKvHandler"/> on a remote backend. Both answer a request now or report later
    /// through the loop's completions, named by <see cref="Token"/>.
    /// </summary>
    internal interface IKvHandler : IRequestHandler
    {
        /// <summary>Names this connection's pending request in the loop's completions; a new connection (or a closed one) changes it, so a late report is ignored.</summary>
        ulong Token { get; set; }

        /// <summary>Serves the connection behind <paramref name="sink"/> now (handlers are pooled with their exchange).</summary>
        void Bind(IValueSink sink, IReadWaits waits, IClientPeer peer, ulong token);

        /// <summary>
        /// The pending request's outcome reached the loop. True if its answer is queued now; false if the
        /// request goes on pending (a remote backend's next step, or a report that was not this request's).
        /// </summary>
        bool OnStored(WriteOutcome outcome, ulong version);

        /// <summary>A parked long-poll is answered now, as its key stands (the local store's waits only).</summary>
        void AnswerWait(ReadWait wait);
    }
}
