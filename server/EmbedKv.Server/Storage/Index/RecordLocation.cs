namespace EmbedKv.Server.Storage.Index
{
    /// <summary>Where a key's latest record lives, as the index remembers it.</summary>
    /// <param name="Segment">The id of the segment file holding the record.</param>
    /// <param name="Offset">The byte offset of the record's header in that segment.</param>
    /// <param name="ValueLength">The length of the record's value (0 for a tombstone).</param>
    /// <param name="Sequence">The record's sequence number: of two records of one key, the higher wins.</param>
    /// <param name="Tombstone">
    /// Whether the record is a delete marker. The index holds tombstones only while recovering, so that
    /// a delete outranks older puts of the same key read later; <see cref="KeyIndex.RemoveTombstones"/>
    /// drops them when recovery ends.
    /// </param>
    /// <param name="Expires">When the value expires, in Unix seconds (the record then ends in an expiry trailer); 0 if never.</param>
    internal readonly record struct RecordLocation(uint Segment, uint Offset, uint ValueLength, ulong Sequence, bool Tombstone, uint Expires = 0)
    {
        /// <summary>Whether the value has expired at <paramref name="now"/> (Unix seconds).</summary>
        public bool ExpiredAt(long now) => Expires != 0 && Expires <= now;
    }
}
