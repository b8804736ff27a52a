namespace EmbedKv.Server.Storage.Watch
{
    /// <summary>
    /// Hears that a watched key was written or deleted (see <see cref="KeyChangeFeed"/>). Called on the
    /// thread that made the write visible (the commit thread, or a writer's own in Batched and None), so
    /// it must only note the change and return: an event loop queues it and wakes itself.
    /// </summary>
    internal interface IKeyChangeSink
    {
        /// <summary>
        /// A key whose <see cref="WatchHash"/> is <paramref name="hash"/> changed (it may be another key of the
        /// same hash) by the write of <paramref name="sequence"/>. A wait that looked at its key after that
        /// write was applied saw it already, and must not take this report for a change.
        /// </summary>
        void OnKeyChanged(ulong hash, ulong sequence);
    }
}
