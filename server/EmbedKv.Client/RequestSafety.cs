namespace EmbedKv.Client
{
    /// <summary>Which failures a request may be sent again after (docs/client.md, "Retries").</summary>
    internal enum RequestSafety
    {
        /// <summary>An unconditional write: never sent twice; the caller sees every failure.</summary>
        Unsafe,

        /// <summary>
        /// A conditional write: sent again only when the server surely did not act on it (no connection, or
        /// 503). After a failure that may have come after the write, a second try could answer 412 for a write
        /// that in fact happened, so the caller sees that failure instead.
        /// </summary>
        Conditional,

        /// <summary>A read: sent again after any transport failure or a 503.</summary>
        Read,
    }
}
