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
    /// slots hold a key's 32-bit hash and its entry number + 1 (0 = empty); a dense array of 28-byte
    /// <see cref="IndexEntry"/> records; and a <see cref="KeyArena"/> of key bytes. A lookup reads one or
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
    /// small managed handle, the only GC allocation the index makes after construction.
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

        private readonly uint collisionBits;
        private readonly NativeRegion slotRegion;
        private readonly NativeRegion entryRegion;
        private readonly KeyArena arena;

        private ulong* slots;
        private uint slotCapacity;
        private uint growThreshold;

        private IndexEntry* entries;
        private uint entryCapacity;
        private uint entryHighWater;
        private uint freeHead;

        private int count;
        private long liveKeyBytes;
        private int version;

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
        internal KeyIndex(int keyCount, uint collisionBitsForTests)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(keyCount);
            collisionBits = collisionBitsForTests;
            uint slotCount = SlotCapacityFor(keyCount);
            uint entryCount = (uint)Math.Max(keyCount, 1);
            try
            {
                slotRegion = NativeRegion.Allocate((nuint)slotCount * sizeof(ulong));
                entryRegion = NativeRegion.Allocate((nuint)entryCount * (nuint)sizeof(IndexEntry));
                arena = new KeyArena(1);
            }
            catch
            {
                slotRegion?.Dispose();
                entryRegion?.Dispose();
                throw;
            }

            slots = (ulong*)slotRegion.Pointer;
            SetSlotCapacity((uint)(slotRegion.Length / sizeof(ulong)));
            entries = (IndexEntry*)entryRegion.Pointer;
            entryCapacity = (uint)(entryRegion.Length / (uint)sizeof(IndexEntry));
        }

        /// <summary>The number of keys (tombstones included, while recovery keeps them).</summary>
        public int Count => count;

        /// <summary>The total length of all keys in the index.</summary>
        public long LiveKeyBytes => liveKeyBytes;

        /// <summary>Bytes reserved in the index's native regions; only the touched part is resident (see <see cref="ResidentEstimate"/>).</summary>
        public long NativeBytes => (long)((ulong)slotRegion.Length + entryRegion.Length + arena.ReservedBytes);

        /// <summary>
        /// About how many of <see cref="NativeBytes"/> are resident: the whole slot table (keys hash all
        /// over it), the entry array up to its high-water mark, the arena up to its used bytes.
        /// </summary>
        public long ResidentEstimate
            => (long)((ulong)slotRegion.Length
                + WholePages((ulong)entryHighWater * (uint)sizeof(IndexEntry))
                + WholePages(arena.UsedBytes));

        /// <summary>Slots in the slot table.</summary>
        internal uint SlotCapacity => slotCapacity;

        /// <summary>Entries the entry array holds before it grows.</summary>
        internal uint EntryCapacity => entryCapacity;

        /// <summary>Bytes reserved for the slot table.</summary>
        internal long SlotBytes => (long)slotRegion.Length;

        /// <summary>Bytes reserved for the entry array.</summary>
        internal long EntryBytes => (long)entryRegion.Length;

        /// <summary>Bytes reserved for the key arena.</summary>
        internal long ArenaBytes => (long)arena.ReservedBytes;

        /// <summary>Key bytes appended to the arena, live or dead.</summary>
        internal long ArenaUsedBytes => (long)arena.UsedBytes;

        /// <summary>Bytes of removed keys still in the arena.</summary>
        internal long ArenaDeadBytes => (long)arena.DeadBytes;

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
            FreeEntry((uint)(entry - entries));
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
            for (uint n = 0; n < entryHighWater; n++)
            {
                IndexEntry* entry = entries + n;
                if (entry->Flags != IndexEntry.TombstoneFlag)
                {
                    continue; // A live put, or a free entry.
                }

                // Find the entry's slot by its exact contents: no key comparison needed.
                uint hash = Hash(KeyOf(entry));
                ulong wanted = Pack(hash, n);
                uint slot = Home(hash);
                while (slots[slot] != wanted)
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
            if ((uint)keyCount > growThreshold)
            {
                ResizeSlots(SlotCapacityFor(keyCount));
            }

            if ((uint)keyCount > entryCapacity)
            {
                ResizeEntries((uint)keyCount);
            }

            arena.Reserve((ulong)keyBytes);
            version++; // The arena may have moved: key spans handed out by enumeration are stale.
            GC.KeepAlive(this);
        }

        /// <summary>
        /// Compacts the key arena now, whatever its dead bytes. <see cref="Set"/> does this by itself when
        /// it pays off; this is for tests and for a store that wants to choose the moment of the pause.
        /// </summary>
        public void CompactKeys()
        {
            ThrowIfDisposed();
            arena.Compact(entries, entryHighWater);
            version++;
            GC.KeepAlive(this);
        }

        /// <summary>Unmaps the index's memory. Any later call throws <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            if (slots == null)
            {
                return;
            }

            slots = null;
            entries = null;
            version++;
            slotRegion.Dispose();
            entryRegion.Dispose();
            arena.Dispose();
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
        private uint Hash(ReadOnlySpan<byte> key) => KeyHash.Compute(key) | collisionBits;

        /// <summary>The slot a hash probes first: the hash scaled from [0, 2^32) to [0, capacity).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Home(uint hash) => (uint)(((ulong)hash * slotCapacity) >> 32);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Next(uint slot) => slot + 1 == slotCapacity ? 0 : slot + 1;

        /// <summary>How many steps forward (wrapping around the end) it takes to get from one slot to another.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private uint Distance(uint from, uint to) => to >= from ? to - from : to + slotCapacity - from;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private ReadOnlySpan<byte> KeyOf(IndexEntry* entry) => new ReadOnlySpan<byte>(arena.Start + entry->KeyOffset, entry->KeyLength);

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
                ulong value = slots[i];
                if (value == 0)
                {
                    slot = i;
                    return null;
                }

                if ((uint)(value >> 32) == hash)
                {
                    IndexEntry* entry = entries + ((uint)value - 1);
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
            if (arena.CompactionDue)
            {
                CompactKeys();
            }

            if ((uint)count >= growThreshold)
            {
                if (slotCapacity >= MaxSlotCapacity)
                {
                    throw new InvalidOperationException($"The key index cannot hold more than {count} keys.");
                }

                ResizeSlots((uint)Math.Min((ulong)slotCapacity * 2, MaxSlotCapacity));
                slot = FindEmpty(hash);
            }

            if (freeHead == 0 && entryHighWater == entryCapacity)
            {
                // Half again each time: amortized O(1), and mremap moves pages rather than copying them.
                ResizeEntries(Math.Max(entryCapacity + 1, entryCapacity + (entryCapacity / 2)));
            }

            arena.EnsureRoom(key.Length);

            uint entryNumber = TakeEntry();
            IndexEntry* entry = entries + entryNumber;
            entry->KeyOffset = arena.Append(key);
            entry->KeyLength = (ushort)key.Length;
            entry->SetLocation(location);
            slots[slot] = Pack(hash, entryNumber);
            count++;
            liveKeyBytes += key.Length;
            version++;
        }

        private uint FindEmpty(uint hash)
        {
            uint slot = Home(hash);
            while (slots[slot] != 0)
            {
                slot = Next(slot);
            }

            return slot;
        }

        private uint TakeEntry()
        {
            if (freeHead != 0)
            {
                uint reused = freeHead - 1;
                freeHead = (uint)entries[reused].KeyOffset;
                return reused;
            }

            return entryHighWater++;
        }

        private void FreeEntry(uint entryNumber)
        {
            IndexEntry* entry = entries + entryNumber;
            count--;
            liveKeyBytes -= entry->KeyLength;
            arena.Release(entry->KeyLength);
            entry->Flags = IndexEntry.FreeFlag;
            entry->KeyOffset = freeHead;
            freeHead = entryNumber + 1;
            version++;
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
                ulong value = slots[i];
                if (value == 0)
                {
                    break;
                }

                if (Distance(Home((uint)(value >> 32)), i) >= Distance(hole, i))
                {
                    slots[hole] = value;
                    hole = i;
                }
            }

            slots[hole] = 0;
        }

        /// <summary>
        /// Grows the slot table in place and rebuilds it from the entry array. The keys are rehashed
        /// rather than the old slots moved: the new capacity changes every home slot, and rebuilding from
        /// the dense entries needs no second table, so growing allocates nothing but the region's pages.
        /// </summary>
        private void ResizeSlots(uint capacity)
        {
            // Grow throws with nothing changed if the kernel refuses; after it, nothing here can fail.
            slotRegion.Grow((nuint)capacity * sizeof(ulong));
            slots = (ulong*)slotRegion.Pointer;
            new Span<ulong>(slots, (int)slotCapacity).Clear(); // The grown part is zero already.
            SetSlotCapacity((uint)(slotRegion.Length / sizeof(ulong)));
            for (uint n = 0; n < entryHighWater; n++)
            {
                IndexEntry* entry = entries + n;
                if ((entry->Flags & IndexEntry.FreeFlag) == 0)
                {
                    uint hash = Hash(KeyOf(entry));
                    slots[FindEmpty(hash)] = Pack(hash, n);
                }
            }

            version++;
        }

        private void SetSlotCapacity(uint capacity)
        {
            slotCapacity = Math.Min(capacity, MaxSlotCapacity);
            growThreshold = (uint)((ulong)slotCapacity * 3 / 4);
        }

        private void ResizeEntries(uint capacity)
        {
            entryRegion.Grow((nuint)capacity * (nuint)sizeof(IndexEntry));
            entries = (IndexEntry*)entryRegion.Pointer;
            entryCapacity = (uint)(entryRegion.Length / (uint)sizeof(IndexEntry));
            version++;
        }

        private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(slots == null, this);
    }
}
