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
        /// <param name="version">The version the write gave its key (see <see cref="WriteResult.Version"/>); 0 unless it stored or deleted.</param>
        void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version);

        /// <summary>
        /// True for an event loop that, before it sleeps, commits the queued writes itself
        /// (<see cref="KvStore.TryCommitQueuedWrites"/>) or hands them over (<see cref="KvStore.HandOverQueuedWrites"/>):
        /// its writes then do not wake the commit thread one by one. False (the default) for anyone else.
        /// </summary>
        bool CommitsBeforeSleep => false;
    }
}
