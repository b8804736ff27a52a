using System;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// Where <see cref="KeyOrder"/> reads the key of an entry number: the index's entry array and key
    /// arena as they are now. Both move when they grow or the arena is compacted, so the index hands the
    /// order a fresh one with every call, and the order never keeps one past the call.
    /// </summary>
    internal readonly unsafe struct KeySource
    {
        private readonly IndexEntry* _entries;
        private readonly byte* _arena;

        /// <summary>Pairs the entry array with the arena.</summary>
        /// <param name="entries">The first entry.</param>
        /// <param name="arena">The arena's first byte.</param>
        public KeySource(IndexEntry* entries, byte* arena)
        {
            _entries = entries;
            _arena = arena;
        }

        /// <summary>The key of an entry in use.</summary>
        /// <param name="entryNumber">The entry.</param>
        /// <returns>Its bytes, in the arena.</returns>
        public ReadOnlySpan<byte> this[uint entryNumber]
        {
            get
            {
                IndexEntry* entry = _entries + entryNumber;
                return new ReadOnlySpan<byte>(_arena + entry->KeyOffset, entry->KeyLength);
            }
        }

        /// <summary>The entry itself.</summary>
        /// <param name="entryNumber">The entry.</param>
        /// <returns>A pointer to it.</returns>
        public IndexEntry* Entry(uint entryNumber) => _entries + entryNumber;
    }
}
