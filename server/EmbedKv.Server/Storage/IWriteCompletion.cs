namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// Receives the end of a write. Under <see cref="DurabilityMode.Always"/> it is called on the store's
    /// commit thread once the write is durable, so an implementation must be quick and must not block:
    /// an event loop queues the result and wakes itself with an eventfd.
    /// </summary>
    internal interface IWriteCompletion
    {
        /// <summary>The write identified by <paramref name="token"/> has ended.</summary>
        /// <param name="token">The caller's token, passed to the write.</param>
        /// <param name="outcome">How it ended.</param>
        void OnWriteCompleted(ulong token, WriteOutcome outcome);
    }
}
