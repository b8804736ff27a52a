namespace EmbedKv.Server.Storage
{
    /// <summary>How a put or delete ended.</summary>
    public enum WriteOutcome
    {
        /// <summary>A put stored a key that did not exist.</summary>
        Created,

        /// <summary>A put replaced an existing key's value.</summary>
        Replaced,

        /// <summary>A delete removed an existing key.</summary>
        Deleted,

        /// <summary>A delete found no such key (nothing was written).</summary>
        NotFound,

        /// <summary>The write failed; <see cref="KvStore.WriteFailure"/> or the exception says why, and nothing was acknowledged.</summary>
        Failed,

        /// <summary>
        /// The disk is full: nothing was stored, and the store takes writes again once space is freed, without
        /// a reopen (the blocking calls throw <see cref="StorageFullException"/> instead).
        /// </summary>
        DiskFull,

        /// <summary>The write's <see cref="WriteCondition"/> did not hold: nothing was written.</summary>
        PreconditionFailed,
    }
}
