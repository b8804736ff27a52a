using System;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Backends
{
    /// <summary>
    /// A store the HTTP API can run on instead of the local log-structured one (<see cref="KvServerOptions.Backend"/>):
    /// a remote one such as EmbedKv.Etcd's, reached over the network. The event loops call it and must never
    /// wait for it, so each Begin call starts the operation and returns at once, having copied whatever it keeps of
    /// its spans, and reports the outcome exactly once through the <see cref="IBackendReply"/>, from any thread;
    /// the reply brings the answer back onto the loop, as the local store's commit thread does with a write.
    /// </summary>
    /// <remarks>
    /// A backend that cannot reach its store reports <see cref="IBackendReply.Unavailable"/> within a bounded
    /// time (503 with Retry-After over HTTP), never leaves a reply unanswered. docs/etcd.md, "The backend seam".
    /// </remarks>
    public interface IKvBackend
    {
        /// <summary>What the server logs at start and puts in its refusals: "etcd at http://127.0.0.1:2379".</summary>
        string Description { get; }

        /// <summary>The largest value a key of <paramref name="keyLength"/> bytes can have: a larger one is refused with 413 before its body is read.</summary>
        /// <param name="keyLength">The key's length in bytes.</param>
        /// <returns>The limit in bytes.</returns>
        long MaxValueLength(int keyLength);

        /// <summary>Reads <paramref name="key"/>: reports <see cref="IBackendReply.Read"/>.</summary>
        /// <param name="key">The key (copy it: the span is the connection's buffer).</param>
        /// <param name="reply">Where the outcome goes.</param>
        void BeginGet(ReadOnlySpan<byte> key, IBackendReply reply);

        /// <summary>Stores <paramref name="value"/> if <paramref name="condition"/> holds, atomically: reports <see cref="IBackendReply.Written"/>.</summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value, at most <see cref="MaxValueLength"/>.</param>
        /// <param name="condition">What the key's current state must be.</param>
        /// <param name="expiresAtUnixSeconds">
        /// When the value expires, in Unix seconds (0: never), fixed by the server when the request came so that
        /// its answer's Expires is exactly what reads will say: the value reads as absent from then on.
        /// </param>
        /// <param name="reply">Where the outcome goes (Created, Replaced or PreconditionFailed, with the new version).</param>
        void BeginPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteCondition condition, long expiresAtUnixSeconds, IBackendReply reply);

        /// <summary>Deletes <paramref name="key"/> if <paramref name="condition"/> holds: reports <see cref="IBackendReply.Written"/> (Deleted, NotFound or PreconditionFailed).</summary>
        /// <param name="key">The key.</param>
        /// <param name="condition">What the key's current state must be.</param>
        /// <param name="reply">Where the outcome goes.</param>
        void BeginDelete(ReadOnlySpan<byte> key, WriteCondition condition, IBackendReply reply);

        /// <summary>Up to <paramref name="limit"/> keys under <paramref name="prefix"/> after <paramref name="after"/>, in byte order: reports <see cref="IBackendReply.Listed"/>.</summary>
        /// <param name="prefix">Only keys starting with this (empty: all).</param>
        /// <param name="after">Only keys after this (empty: from the first).</param>
        /// <param name="limit">At most this many.</param>
        /// <param name="reply">Where the outcome goes.</param>
        void BeginList(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> after, int limit, IBackendReply reply);

        /// <summary>
        /// Waits until <paramref name="key"/> changes after the read at <paramref name="revision"/>, or
        /// <paramref name="timeout"/> passes, or <see cref="IBackendReply.Cancellation"/> fires: reports
        /// <see cref="IBackendReply.Waited"/>. No change after that read may be missed.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="revision"><see cref="BackendRead.Revision"/> of the read the wait follows.</param>
        /// <param name="timeout">The longest to wait.</param>
        /// <param name="reply">Where the outcome goes.</param>
        void BeginWait(ReadOnlySpan<byte> key, long revision, TimeSpan timeout, IBackendReply reply);
    }
}
