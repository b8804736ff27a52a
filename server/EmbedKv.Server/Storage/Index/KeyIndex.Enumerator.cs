using System;

namespace EmbedKv.Server.Storage.Index
{
    /// <content>Enumeration of all entries, for compaction and hint files.</content>
    internal sealed unsafe partial class KeyIndex
    {
        /// <summary>
        /// Enumerates every key and its location, in no particular order, without allocating:
        /// <c>foreach (var (key, location) in index)</c>. The index must not be modified while enumerating
        /// (except by <see cref="TryRelocate"/>, which rewrites a location in place): a structural change
        /// makes the next <see cref="Enumerator.MoveNext"/> throw, and invalidates the key spans handed out.
        /// </summary>
        /// <returns>The enumerator.</returns>
        public Enumerator GetEnumerator()
        {
            ThrowIfDisposed();
            return new Enumerator(this);
        }

        /// <summary>Walks the entry array, skipping free entries.</summary>
        public ref struct Enumerator
        {
            private readonly KeyIndex _index;
            private readonly int _version;
            private uint _next;
            private KeyLocation _current;

            internal Enumerator(KeyIndex index)
            {
                _index = index;
                _version = index._version;
                _next = 0;
                _current = default;
            }

            /// <summary>The current key and location; the key's bytes are valid until the index is modified.</summary>
            public readonly KeyLocation Current => _current;

            /// <summary>Moves to the next key.</summary>
            /// <returns>False once every key has been seen.</returns>
            /// <exception cref="InvalidOperationException">The index was modified since enumeration began.</exception>
            public bool MoveNext()
            {
                KeyIndex owner = _index;
                if (_version != owner._version)
                {
                    throw new InvalidOperationException("The key index was modified during enumeration.");
                }

                while (_next < owner._entryHighWater)
                {
                    IndexEntry* entry = owner._entries + _next++;
                    if ((entry->Flags & IndexEntry.FreeFlag) == 0)
                    {
                        _current = new KeyLocation(owner.KeyOf(entry), entry->Location);
                        GC.KeepAlive(owner);
                        return true;
                    }
                }

                _current = default;
                return false;
            }
        }
    }
}
