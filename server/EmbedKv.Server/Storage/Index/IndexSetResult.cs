namespace EmbedKv.Server.Storage.Index
{
    /// <summary>What <see cref="KeyIndex.Set"/> did.</summary>
    internal enum IndexSetResult
    {
        /// <summary>The key was not in the index; it is now.</summary>
        Inserted,

        /// <summary>The key was in the index with a lower sequence number; the new location replaced it.</summary>
        Replaced,

        /// <summary>
        /// The key was in the index with a higher or equal sequence number, so nothing changed: an older
        /// record never displaces a newer one, and an equal sequence is the same record seen again.
        /// </summary>
        IgnoredOlder,
    }
}
