// Hand-written: a Dictionary keyed by byte arrays would put every key and entry on the GC heap, for the
// collector to trace on every full collection; this index keeps them all in native memory.
using System;
using System.Runtime.CompilerServices;
using EmbedKv.Runtime.Memory;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// Maps every key of the store to its latest record, entirely outside the GC heap, with no GC
    /// allocation per operation.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Three native regions (<see cref="NativeRegion"/>): a slot table probed linearly, whose 8-byte
    /// slots hold a key's 32-bit hash and its entry number + 1 (0 = empty); a dense array of 32-byte
    /// <see cref="IndexEntry"/> records; and a <see cref="KeyArena"/> of key bytes. Beside them, a B+tree
    /// of entry numbers (<see cref="KeyOrder"/>, its own region) lists the keys in order; every insert and
    /// removal keeps it in step, except during a bulk load (KeyIndex.Ordered.cs). A lookup reads one or
    /// two slots (a cache line holds eight), compares the stored hash, and only on a match touches the
    /// entry and the key. The hash is keyed per process (<see cref="KeyHash"/>), so clients cannot pick
    /// colliding keys.
    /// </para>
    /// <para>
    /// The slot table's load stays at or below 3/4; past that it doubles, and is rebuilt from the entry
    /// array by rehashing the keys. Slots map to a home slot by multiplying the hash with the capacity
    /// (Lemire's range reduction), not by masking, so the capacity need not be a power of two and
    /// <see cref="Reserve"/> can size the table exactly. Removal shifts the following slots of the probe
    /// run back (no tombstone slots, so lookups never slow down with churn); removed entries go on a
    /// free list for reuse. The entry array and the arena grow in place with <see cref="NativeRegion.Grow"/>:
    /// growing allocates nothing on the GC heap either.
    /// </para>
    /// <para>
    /// The key arena is compacted automatically inside <see cref="Set"/>, just before a new key is
    /// appended, once dead key bytes are at least 1 MiB and more than half the arena
    /// (<see cref="KeyArena.CompactionDue"/>): a pause proportional to the live key bytes, paid for by the
    /// removals that made at least as many bytes dead. Doing it there keeps <see cref="Remove"/> free of
    /// any memory allocation (it cannot fail) and keeps <see cref="Set"/> atomic: if the compaction cannot
    /// map its new region, Set throws with the index unchanged. A compaction allocates the new region's
    /// small managed handle, the only GC allocation the index makes after construction (besides the
    /// handles of the scratch regions of an ordered index's bulk build).
    /// </para>
    /// <para>
    /// Not thread-safe: the store serializes every call, reads included, under its own lock.
    /// </para>
    /// <para>
    /// Public methods end with <see cref="GC.KeepAlive"/>: while a call works through raw pointers, the
    /// index (and so its regions) must stay reachable, or a region's finalizer could unmap the memory
    /// under it if the caller dropped its last reference.
    /// </para>
    /// </remarks>
    internal sealed unsafe partial class KeyIndex : IDisposable
    {
        /// <summary>The longest key the index can hold (its length is stored in 16 bits); the store enforces a smaller limit.</summary>
        public const int MaxKeyLength = ushort.MaxValue;

        private const uint MinSlotCapacity = 16;

        // Past 2^30 slots (8 GiB of them, for 805 million keys) the slot count would no longer fit a Span.
        private const uint MaxSlotCapacity = 1u << 30;

        private readonly uint _collisionBits;
        private readonly NativeRegion _slotRegion;
        private readonly NativeRegion _entryRegion;
        private readonly KeyArena _arena;
        private readonly KeyOrder _order;

        private ulong* _slots;
        private uint _slotCapacity;
        private uint _growThreshold;

        private IndexEntry* _entries;
        private uint _entryCapacity;
        private uint _entryHighWater;
        private uint _freeHead;

        private int _count;
        private long _liveKeyBytes;
        private int _version;
        private bool _orderDeferred;

        /// <summary>Creates an empty index that grows as keys arrive.</summary>
        public KeyIndex()
            : this(0, 0)
        {
        }

        /// <summary>Creates an empty index with room for <paramref name="keyCount"/> keys before its tables grow.</summary>
        /// <param name="keyCount">Keys to make room for.</param>
        public KeyIndex(int keyCount)
            : this(keyCount, 0)
        {
        }

        /// <summary>Creates an index whose hashes all have <paramref name="collisionBitsForTests"/> set.</summary>
        /// <param name="keyCount">Keys to make room for.</param>
        /// <param name="collisionBitsForTests">
        /// 0 in production. Tests set most bits so that nearly every key shares a hash and a home slot near
        /// the end of the table, which forces long probe runs that wrap around.
        /// </param>
        /// <param name="orderNodeBytes">The ordered index's node size; tests make it small for deep trees.</param>
        internal KeyIndex(int keyCount, uint collisionBitsForTests, int orderNodeBytes = KeyOrder.DefaultNodeBytes)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(keyCount);
            _collisionBits = collisionBitsForTests;
            uint slotCount = SlotCapacityFor(keyCount);
            uint entryCount = (uint)Math.Max(keyCount, 1);
            try
            {
                _slotRegion = NativeRegion.Allocate((nuint)slotCount * sizeof(ulong));
                _entryRegion = NativeRegion.Allocate((nuint)entryCount * (nuint)sizeof(IndexEntry));
                _arena = new KeyArena(1);
                _order = new KeyOrder(orderNodeBytes);
            }
            catch
            {
                _slotRegion?.Dispose();
                _entryRegion?.Dispose();
                _arena?.Dispose();
                throw;
            }

            _slots = (ulong*)_slotRegion.Pointer;
            SetSlotCapacity((uint)(_slotRegion.Length / sizeof(ulong)));
            _entries = (IndexEntry*)_entryRegion.Pointer;
            _entryCapacity = (uint)(_entryRegion.Length / (uint)sizeof(IndexEntry));
        }

        /// <summary>The number of keys (tombstones included, while recovery keeps them).</summary>
        public int Count => _count;

        /// <summary>The total length of all keys in the index.</summary>
        public long LiveKeyBytes => _liveKeyBytes;

        /// <summary>Bytes reserved in the index's native regions; only the touched part is resident (see <see cref="ResidentEstimate"/>).</summary>
        public long NativeBytes => (long)((ulong)_slotRegion.Length + _entryRegion.Length + _arena.ReservedBytes) + _order.ReservedBytes;

        /// <summary>
        /// About how many of <see cref="NativeBytes"/> are resident: the whole slot table (keys hash all
        /// over it), the entry array up to its high-water mark, the arena up to its used bytes, the ordered
        /// index's nodes up to theirs.
        /// </summary>
        public long ResidentEstimate
            => (long)((ulong)_slotRegion.Length
                + WholePages((ulong)_entryHighWater * (uint)sizeof(IndexEntry))
                + WholePages(_arena.UsedBytes)) + _order.ResidentBytes;

        /// <summary>Slots in the slot table.</summary>
        internal uint SlotCapacity => _slotCapacity;

        /// <summary>Entries the entry array holds before it grows.</summary>
        internal uint EntryCapacity => _entryCapacity;

        /// <summary>Bytes reserved for the slot table.</summary>
        internal long SlotBytes => (long)_slotRegion.Length;

        /// <summary>Bytes reserved for the entry array.</summary>
        internal long EntryBytes => (long)_entryRegion.Length;

        /// <summary>Bytes reserved for the key arena.</summary>
        internal long ArenaBytes => (long)_arena.ReservedBytes;

        /// <summary>Key bytes appended to the arena, live or dead.</summary>
        internal long ArenaUsedBytes => (long)_arena.UsedBytes;

        /// <summary>Bytes of removed keys still in the arena.</summary>
        internal long ArenaDeadBytes => (long)_arena.DeadBytes;

        /// <summary>Looks a key up.</summary>
        /// <param name="key">The key.</param>
        /// <param name="location">Where its latest record lives (possibly a tombstone, during recovery); default if absent.</param>
        /// <returns>Whether the key is in the index.</returns>
        public bool TryGet(ReadOnlySpan<byte> key, out RecordLocation location)
        {
            ThrowIfDisposed();
            IndexEntry* entry = Find(key, Hash(key), out _);
            location = entry != null ? entry->Location : default;
            GC.KeepAlive(this);
            return entry != null;
        }

        /// <summary>
        /// Inserts a key, or points it at a newer record: an existing key is replaced only when
        /// <paramref name="location"/>'s sequence is higher than the one it holds, so records may be fed
        /// in any order (recovery reads segments in any order; the newest wins).
        /// </summary>
        /// <param name="key">The key, at most <see cref="MaxKeyLength"/> bytes.</param>
        /// <param name="location">Where the record lives.</param>
        /// <param name="previous">The location the key held before, whether or not it was replaced; default if it was absent.</param>
        /// <returns>What happened.</returns>
        /// <exception cref="ArgumentException">The key is longer than <see cref="MaxKeyLength"/>.</exception>
        public IndexSetResult Set(ReadOnlySpan<byte> key, in RecordLocation location, out RecordLocation previous)
        {
            ThrowIfDisposed();
            if (key.Length > MaxKeyLength)
            {
                throw new ArgumentException($"A key may be at most {MaxKeyLength} bytes long.", nameof(key));
            }

            uint hash = Hash(key);
            IndexEntry* entry = Find(key, hash, out uint slot);
            IndexSetResult result;
            if (entry == null)
            {
                previous = default;
                Insert(key, hash, slot, location);
                result = IndexSetResult.Inserted;
            }
            else
            {
                previous = entry->Location;
                if (location.Sequence > entry->Sequence)
                {
                    entry->SetLocation(location);
                    result = IndexSetResult.Replaced;
                }
                else
                {
                    result = IndexSetResult.IgnoredOlder;
                }
            }

            GC.KeepAlive(this);
            return result;
        }

        /// <summary>Removes a key, whatever its sequence.</summary>
        /// <param name="key">The key.</param>
        /// <param name="previous">The location it held; default if it was absent.</param>
        /// <returns>Whether the key was in the index.</returns>
        public bool Remove(ReadOnlySpan<byte> key, out RecordLocation previous)
        {
            ThrowIfDisposed();
            IndexEntry* entry = Find(key, Hash(key), out uint slot);
            if (entry == null)
            {
                previous = default;
                return false;
            }

            previous = entry->Location;
            RemoveSlot(slot);
            FreeEntry((uint)(entry - _entries));
            GC.KeepAlive(this);
            return true;
        }

        /// <summary>
        /// Points a key at a copy of its record (compaction moved it), but only if the key still holds
        /// that record: a write that landed meanwhile has a higher sequence and wins.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="expectedSequence">The sequence of the record that was copied.</param>
        /// <param name="newSegment">The segment holding the copy.</param>
        /// <param name="newOffset">The copy's offset in it.</param>
        /// <returns>Whether the key was repointed.</returns>
        public bool TryRelocate(ReadOnlySpan<byte> key, ulong expectedSequence, uint newSegment, uint newOffset)
        {
            ThrowIfDisposed();
            IndexEntry* entry = Find(key, Hash(key), out _);
            bool relocated = entry != null && entry->Sequence == expectedSequence;
            if (relocated)
            {
                entry->Segment = newSegment;
                entry->Offset = newOffset;
            }

            GC.KeepAlive(this);
            return relocated;
        }

        /// <summary>Removes every key whose latest record is a tombstone; recovery calls this once it has read every segment.</summary>
        /// <returns>How many keys were removed.</returns>
        public int RemoveTombstones()
        {
            ThrowIfDisposed();
            int removed = 0;
            for (uint n = 0; n < _entryHighWater; n++)
            {
                IndexEntry* entry = _entries + n;
                if (entry->Flags != IndexEntry.TombstoneFlag)
                {
                    continue; // A live put, or a free entry.
                }

                // Find the entry's slot by its exact contents: no key comparison needed.
                uint hash = Hash(KeyOf(entry));
                ulong wanted = Pack(hash, n);
                uint slot = Home(hash);
                while (_slots[slot] != wanted)
                {
                    slot = Next(slot);
                }

                RemoveSlot(slot);
                FreeEntry(n);
                removed++;
            }

            GC.KeepAlive(this);
            return removed;
        }

        /// <summary>
        /// Makes room for <paramref name="keyCount"/> keys holding <paramref name="keyBytes"/> key bytes
        /// (counting removed keys' bytes until the next compaction), so that no table grows until then.
        /// Recovery can call it with the count from a hint file; it also sizes the slot table exactly
        /// (load 3/4) rather than to the next doubling.
        /// </summary>
        /// <param name="keyCount">Keys in total.</param>
        /// <param name="keyBytes">Key bytes in total.</param>
        public void Reserve(int keyCount, long keyBytes)
        {
            ThrowIfDisposed();
            ArgumentOutOfRangeException.ThrowIfNegative(keyCount);
            ArgumentOutOfRangeException.ThrowIfNegative(keyBytes);
            if ((uint)keyCount > _growThreshold)
            {
                ResizeSlots(SlotCapacityFor(keyCount));
            }

            if ((uint)keyCount > _entryCapacity)
            {
                ResizeEntries((uint)keyCount);
            }

            _arena.Reserve((ulong)keyBytes);
            ReserveOrder(keyCount);
            _version++; // The arena may have moved: key spans handed out by enumeration are stale.
            GC.KeepAlive(this);
        }

        /// <summary>
        /// Compacts the key arena now, whatever its dead bytes. <see cref="Set"/> does this by itself when
        /// it pays off; this is for tests and for a store that wants to choose the moment of the pause.
        /// </summary>
        public void CompactKeys()
        {
            ThrowIfDisposed();
            _arena.Compact(_entries, _entryHighWater);
            _version++;
            GC.KeepAlive(this);
        }

        /// <summary>Unmaps the index's memory. Any later call throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            if (_slots == null)
            {
                return;
            }

            _slots = null;
            _entries = null;
            _version++;
            _slotRegion.Dispose();
            _entryRegion.Dispose();
            _arena.Dispose();
            _order.Dispose();
        }

        private static uint SlotCapacityFor(int keyCount)
        {
            // The smallest capacity whose 3/4 is at least keyCount.
            ulong capacity = Math.Max(MinSlotCapacity, (((ulong)keyCount * 4) + 2) / 3);
            return capacity <= MaxSlotCapacity
                ? (uint)capacity
                : throw new InvalidOperationException($"The key index cannot hold {keyCount} keys.");
        }

        private static ulong WholePages(ulong bytes)
        {
            ulong page = (ulong)Environment.SystemPageSize;
            return (bytes + page - 1) / page * page;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong Pack(uint hash, uint entryNumber) => ((ulong)hash << 32) | (entryNumber + 1);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Hash(ReadOnlySpan<byte> key) => KeyHash.Compute(key) | _collisionBits;

        /// <summary>The slot a hash probes first: the hash scaled from [0, 2^32) to [0, capacity).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Home(uint hash) => (uint)(((ulong)hash * _slotCapacity) >> 32);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Next(uint slot) => slot + 1 == _slotCapacity ? 0 : slot + 1;

        /// <summary>How many steps forward (wrapping around the end) it takes to get from one slot to another.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Distance(uint from, uint to) => to >= from ? to - from : to + _slotCapacity - from;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ReadOnlySpan<byte> KeyOf(IndexEntry* entry) => new ReadOnlySpan<byte>(_arena.Start + entry->KeyOffset, entry->KeyLength);

        /// <summary>Probes for a key.</summary>
        /// <param name="key">The key.</param>
        /// <param name="hash">Its hash.</param>
        /// <param name="slot">The slot holding the key, or else the empty slot where the probe ended (where it would go).</param>
        /// <returns>The key's entry, or null.</returns>
        private IndexEntry* Find(ReadOnlySpan<byte> key, uint hash, out uint slot)
        {
            // The load factor cap guarantees an empty slot, so the probe ends.
            uint i = Home(hash);
            while (true)
            {
                ulong value = _slots[i];
                if (value == 0)
                {
                    slot = i;
                    return null;
                }

                if ((uint)(value >> 32) == hash)
                {
                    IndexEntry* entry = _entries + ((uint)value - 1);
                    if (entry->KeyLength == key.Length && KeyOf(entry).SequenceEqual(key))
                    {
                        slot = i;
                        return entry;
                    }
                }

                i = Next(i);
            }
        }

        private void Insert(ReadOnlySpan<byte> key, uint hash, uint slot, in RecordLocation location)
        {
            // Everything that may need memory comes first, so that a failure leaves the index unchanged
            // (or compacted or grown, which changes nothing a caller can see).
            if (_arena.CompactionDue)
            {
                CompactKeys();
            }

            if ((uint)_count >= _growThreshold)
            {
                if (_slotCapacity >= MaxSlotCapacity)
                {
                    throw new InvalidOperationException($"The key index cannot hold more than {_count} keys.");
                }

                ResizeSlots((uint)Math.Min((ulong)_slotCapacity * 2, MaxSlotCapacity));
                slot = FindEmpty(hash);
            }

            if (_freeHead == 0 && _entryHighWater == _entryCapacity)
            {
                // Half again each time: amortized O(1), and mremap moves pages rather than copying them.
                ResizeEntries(Math.Max(_entryCapacity + 1, _entryCapacity + (_entryCapacity / 2)));
            }

            _arena.EnsureRoom(key.Length);
            EnsureOrderRoom();

            uint entryNumber = TakeEntry();
            IndexEntry* entry = _entries + entryNumber;
            entry->KeyOffset = _arena.Append(key);
            entry->KeyLength = (ushort)key.Length;
            entry->SetLocation(location);
            _slots[slot] = Pack(hash, entryNumber);
            _count++;
            _liveKeyBytes += key.Length;
            _version++;
            InsertInOrder(entryNumber);
        }

        private uint FindEmpty(uint hash)
        {
            uint slot = Home(hash);
            while (_slots[slot] != 0)
            {
                slot = Next(slot);
            }

            return slot;
        }

        private uint TakeEntry()
        {
            if (_freeHead != 0)
            {
                uint reused = _freeHead - 1;
                _freeHead = (uint)_entries[reused].KeyOffset;
                return reused;
            }

            return _entryHighWater++;
        }

        private void FreeEntry(uint entryNumber)
        {
            RemoveFromOrder(entryNumber); // While the entry still holds its key.
            IndexEntry* entry = _entries + entryNumber;
            _count--;
            _liveKeyBytes -= entry->KeyLength;
            _arena.Release(entry->KeyLength);
            entry->Flags = IndexEntry.FreeFlag;
            entry->KeyOffset = _freeHead;
            _freeHead = entryNumber + 1;
            _version++;
        }

        /// <summary>
        /// Empties a slot by backward-shift deletion: each later slot of the probe run moves into the hole
        /// if the hole lies on its own probe path (between its home and where it sits), and the hole moves
        /// to where it was. The run stays gap-free, so a probe that stops at an empty slot stays correct
        /// without tombstone slots.
        /// </summary>
        private void RemoveSlot(uint hole)
        {
            uint i = hole;
            while (true)
            {
                i = Next(i);
                ulong value = _slots[i];
                if (value == 0)
                {
                    break;
                }

                if (Distance(Home((uint)(value >> 32)), i) >= Distance(hole, i))
                {
                    _slots[hole] = value;
                    hole = i;
                }
            }

            _slots[hole] = 0;
        }

        /// <summary>
        /// Grows the slot table in place and rebuilds it from the entry array. The keys are rehashed
        /// rather than the old slots moved: the new capacity changes every home slot, and rebuilding from
        /// the dense entries needs no second table, so growing allocates nothing but the region's pages.
        /// </summary>
        private void ResizeSlots(uint capacity)
        {
            // Grow throws with nothing changed if the kernel refuses; after it, nothing here can fail.
            _slotRegion.Grow((nuint)capacity * sizeof(ulong));
            _slots = (ulong*)_slotRegion.Pointer;
            new Span<ulong>(_slots, (int)_slotCapacity).Clear(); // The grown part is zero already.
            SetSlotCapacity((uint)(_slotRegion.Length / sizeof(ulong)));
            for (uint n = 0; n < _entryHighWater; n++)
            {
                IndexEntry* entry = _entries + n;
                if ((entry->Flags & IndexEntry.FreeFlag) == 0)
                {
                    uint hash = Hash(KeyOf(entry));
                    _slots[FindEmpty(hash)] = Pack(hash, n);
                }
            }

            _version++;
        }

        private void SetSlotCapacity(uint capacity)
        {
            _slotCapacity = Math.Min(capacity, MaxSlotCapacity);
            _growThreshold = (uint)((ulong)_slotCapacity * 3 / 4);
        }

        private void ResizeEntries(uint capacity)
        {
            _entryRegion.Grow((nuint)capacity * (nuint)sizeof(IndexEntry));
            _entries = (IndexEntry*)_entryRegion.Pointer;
            _entryCapacity = (uint)(_entryRegion.Length / (uint)sizeof(IndexEntry));
            _version++;
        }

        private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_slots == null, this);
    }
}
