using System;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>One key of a <see cref="KeyIndex"/> and where its latest record lives, as enumeration yields them.</summary>
    internal readonly ref struct KeyLocation
    {
        /// <summary>Pairs a key with its location.</summary>
        /// <param name="key">The key's bytes, in the index's arena.</param>
        /// <param name="location">Where its latest record lives.</param>
        public KeyLocation(ReadOnlySpan<byte> key, RecordLocation location)
        {
            Key = key;
            Location = location;
        }

        /// <summary>The key's bytes. They live in the index's native arena: valid only until the index is next modified.</summary>
        public ReadOnlySpan<byte> Key { get; }

        /// <summary>Where the key's latest record lives.</summary>
        public RecordLocation Location { get; }

        /// <summary>Splits the pair, for <c>foreach (var (key, location) in index)</c>.</summary>
        /// <param name="key">The key's bytes.</param>
        /// <param name="location">Where its latest record lives.</param>
        public void Deconstruct(out ReadOnlySpan<byte> key, out RecordLocation location)
        {
            key = Key;
            location = Location;
        }
    }
}
