using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// Where the key-value handler hands a stored value too large to copy behind its head: the transport
    /// sends it from the store's file after the queued output (sendfile on a socket), and releases it.
    /// </summary>
    internal interface IValueSink
    {
        /// <summary>Sends <paramref name="value"/> after everything queued, then releases it.</summary>
        void Send(StoredValue value);

        /// <summary>
        /// Sends the first <paramref name="length"/> bytes of <paramref name="page"/> after everything queued
        /// (a listing too long for the output area), then gives the page back to <paramref name="pages"/>.
        /// </summary>
        void Send(EmbedKv.Runtime.Memory.NativeRegion page, int length, ListingPages pages);

        /// <summary>
        /// The head already queued promises bytes that cannot be delivered (the store's file is shorter than
        /// its index said, or unreadable): nothing sensible can follow on this stream, so it ends.
        /// </summary>
        void Break();
    }
}
