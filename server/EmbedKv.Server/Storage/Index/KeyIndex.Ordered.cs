using System;

namespace EmbedKv.Server.Storage.Index
{
    /// <content>
    /// The keys in unsigned byte order: the ordered walk, and the bulk load that defers ordering while
    /// recovery inserts every key and then builds it at once.
    /// </content>
    internal sealed unsafe partial class KeyIndex
    {
        /// <summary>Whether ordering is deferred (between <see cref="BeginBulkLoad"/> and <see cref="EndBulkLoad"/>).</summary>
        public bool OrderDeferred => _orderDeferred;

        /// <summary>Bytes reserved for the ordered index's nodes.</summary>
        internal long OrderBytes => _order.ReservedBytes;

        /// <summary>Bytes of the ordered index's nodes touched so far (see <see cref="ResidentEstimate"/>).</summary>
        internal long OrderResidentBytes => _order.ResidentBytes;

        /// <summary>Levels of the ordered index.</summary>
        internal int OrderHeight => _order.Height;

        /// <summary>
        /// Stops keeping the keys in order, until <see cref="EndBulkLoad"/> sorts them all at once: recovery
        /// inserts every key in the order of the log, and a million inserts into the tree, each reading
        /// keys all over the arena, cost several times one sort. Meanwhile <see cref="Set"/>,
        /// <see cref="Remove"/> and <see cref="RemoveTombstones"/> work as ever (they skip the tree), and
        /// <see cref="OrderedFrom"/> throws. The tree built so far is dropped (its memory stays mapped).
        /// </summary>
        public void BeginBulkLoad()
        {
            ThrowIfDisposed();
            _orderDeferred = true;
            _order.Clear();
            _version++;
        }

        /// <summary>
        /// Builds the ordered index from every key the index holds (tombstones too, so call it after
        /// <see cref="RemoveTombstones"/>) and keeps it in step again from here on. Does nothing unless
        /// <see cref="BeginBulkLoad"/> was called.
        /// </summary>
        /// <exception cref="OutOfMemoryException">
        /// The sort's scratch memory or the tree's nodes could not be mapped. Ordering stays deferred and
        /// the rest of the index is unchanged, so the call can be repeated.
        /// </exception>
        public void EndBulkLoad()
        {
            ThrowIfDisposed();
            if (!_orderDeferred)
            {
                return;
            }

            _order.Build(OrderKeys, _entryHighWater, _count);
            _orderDeferred = false;
            _version++;
            GC.KeepAlive(this);
        }

        /// <summary>
        /// Walks the keys in unsigned byte order (a key before its extensions) from <paramref name="start"/>,
        /// without allocating: <c>foreach (var (key, location) in index.OrderedFrom(start, true))</c>. An
        /// empty start with <paramref name="inclusive"/> walks every key. Like <see cref="GetEnumerator"/>,
        /// the walk is invalidated by a structural change to the index (the next <see cref="OrderedEnumerator.MoveNext"/>
        /// throws), but not by <see cref="TryRelocate"/>.
        /// </summary>
        /// <param name="start">Where to start.</param>
        /// <param name="inclusive">Whether a key equal to <paramref name="start"/> is the first yielded, or skipped.</param>
        /// <returns>The walk, positioned before its first key.</returns>
        /// <exception cref="InvalidOperationException">Ordering is deferred by <see cref="BeginBulkLoad"/>.</exception>
        public OrderedEnumerator OrderedFrom(ReadOnlySpan<byte> start, bool inclusive)
        {
            ThrowIfDisposed();
            if (_orderDeferred)
            {
                throw new InvalidOperationException("The key index is being bulk loaded: its keys are not in order until EndBulkLoad.");
            }

            _order.Seek(OrderKeys, start, inclusive, out uint leaf, out int position);
            var walk = new OrderedEnumerator(this, leaf, position);
            GC.KeepAlive(this);
            return walk;
        }

        /// <summary>Checks the ordered index's every invariant against the index (for tests; slow).</summary>
        /// <exception cref="InvalidOperationException">An invariant does not hold.</exception>
        internal void CheckOrder()
        {
            ThrowIfDisposed();
            if (!_orderDeferred)
            {
                _order.Check(OrderKeys, _count);
            }

            GC.KeepAlive(this);
        }

        private KeySource OrderKeys => new KeySource(_entries, _arena.Start);

        private void EnsureOrderRoom()
        {
            if (!_orderDeferred)
            {
                _order.EnsureRoom();
            }
        }

        private void InsertInOrder(uint entryNumber)
        {
            if (!_orderDeferred)
            {
                _order.Insert(OrderKeys, entryNumber);
            }
        }

        private void RemoveFromOrder(uint entryNumber)
        {
            if (!_orderDeferred)
            {
                _order.Remove(OrderKeys, entryNumber);
            }
        }

        private void ReserveOrder(int keyCount)
        {
            if (!_orderDeferred)
            {
                _order.Reserve(keyCount);
            }
        }

        /// <summary>Walks the leaves of the ordered index from a position.</summary>
        public ref struct OrderedEnumerator
        {
            private readonly KeyIndex _index;
            private readonly int _version;
            private uint _leaf;
            private int _position;
            private KeyLocation _current;

            internal OrderedEnumerator(KeyIndex index, uint leaf, int position)
            {
                _index = index;
                _version = index._version;
                _leaf = leaf;
                _position = position;
                _current = default;
            }

            /// <summary>The current key and location; the key's bytes are valid until the index is modified.</summary>
            public readonly KeyLocation Current => _current;

            /// <summary>Lets <c>foreach</c> take the walk as it is.</summary>
            /// <returns>This walk.</returns>
            public readonly OrderedEnumerator GetEnumerator() => this;

            /// <summary>Moves to the next key in order.</summary>
            /// <returns>False once the last key has been seen.</returns>
            /// <exception cref="InvalidOperationException">The index was modified since the walk began.</exception>
            public bool MoveNext()
            {
                KeyIndex owner = _index;
                if (_version != owner._version)
                {
                    throw new InvalidOperationException("The key index was modified during enumeration.");
                }

                if (owner._order.TryNext(ref _leaf, ref _position, out uint entryNumber))
                {
                    IndexEntry* entry = owner._entries + entryNumber;
                    _current = new KeyLocation(owner.KeyOf(entry), entry->Location);
                    GC.KeepAlive(owner);
                    return true;
                }

                _current = default;
                return false;
            }
        }
    }
}
