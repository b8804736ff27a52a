using System.Collections.Generic;
using System.Threading;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Backends
{
    /// <summary>
    /// Where an <see cref="IKvBackend"/> reports one operation's outcome: exactly one call, from any thread. The
    /// server owns the implementation; a report for a request the client has given up on is dropped.
    /// </summary>
    public interface IBackendReply
    {
        /// <summary>Fires when the request is abandoned (its connection closed, or the server stopping): a wait should end.</summary>
        CancellationToken Cancellation { get; }

        /// <summary>A read's outcome.</summary>
        /// <param name="read">The value (or none) and the revision of the read.</param>
        void Read(BackendRead read);

        /// <summary>A put's or a delete's outcome.</summary>
        /// <param name="result">The outcome and the new version.</param>
        void Written(WriteResult result);

        /// <summary>A listing's outcome.</summary>
        /// <param name="keys">The keys, in byte order.</param>
        /// <param name="more">Whether keys after the last one match too.</param>
        void Listed(IReadOnlyList<BackendListedKey> keys, bool more);

        /// <summary>A wait's outcome.</summary>
        /// <param name="changed">True if the key changed; false if the time ran out or the wait was cancelled.</param>
        void Waited(bool changed);

        /// <summary>The store could not be reached within the backend's time limit; nothing is known of a write's fate.</summary>
        /// <param name="reason">What failed (kept with the reply; the 503 itself names no cause).</param>
        void Unavailable(string reason);

        /// <summary>The operation failed otherwise (the store refused the request); the answer is 500.</summary>
        /// <param name="reason">What failed.</param>
        void Failed(string reason);
    }
}
