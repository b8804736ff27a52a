using System;
using EmbedKv.Runtime.Memory;

namespace EmbedKv.Server.Storage.Index
{
    /// <summary>
    /// The bytes of every key in a <see cref="KeyIndex"/>, appended one after another in native memory.
    /// A removed key's bytes stay where they are and are only counted as dead; <see cref="Compact"/>
    /// copies the live keys into a fresh region once the dead ones are worth reclaiming. Appending
    /// without freeing keeps inserts to a bump of <see cref="UsedBytes"/>, with no allocator to fragment.
    /// </summary>
    /// <remarks>Not thread-safe; owned and locked by its index.</remarks>
    internal sealed unsafe class KeyArena : IDisposable
    {
        /// <summary>Dead bytes below this are never worth a compaction's pause.</summary>
        public const ulong MinimumDeadBytesToCompact = 1 << 20;

        private NativeRegion _region;
        private byte* _start;
        private ulong _used;
        private ulong _dead;

        /// <summary>Maps the arena.</summary>
        /// <param name="bytes">The bytes to reserve at first (the region rounds them up to whole pages).</param>
        public KeyArena(ulong bytes)
        {
            _region = NativeRegion.Allocate((nuint)Math.Max(bytes, 1));
            _start = _region.Pointer;
        }

        /// <summary>The first byte; a key's bytes are at <c>Start + its offset</c>. Moves when the arena grows or is compacted.</summary>
        public byte* Start => _start;

        /// <summary>Bytes appended so far, live or dead.</summary>
        public ulong UsedBytes => _used;

        /// <summary>Bytes of keys that were released since the last compaction.</summary>
        public ulong DeadBytes => _dead;

        /// <summary>Bytes reserved in the region (resident only where touched).</summary>
        public ulong ReservedBytes => _region.Length;

        /// <summary>
        /// Whether a compaction would pay for itself: dead bytes at least 1 MiB and more than half of all
        /// used bytes. The second condition bounds the copying at one byte per dead byte reclaimed, so
        /// compaction costs amortized O(1) per removed key; the first keeps small arenas from bothering.
        /// </summary>
        public bool CompactionDue => _dead >= MinimumDeadBytesToCompact && _dead > _used / 2;

        /// <summary>Makes sure <paramref name="length"/> more bytes can be appended without growing.</summary>
        /// <param name="length">The bytes about to be appended.</param>
        public void EnsureRoom(int length)
        {
            ulong needed = _used + (ulong)length;
            if (needed > IndexEntry.MaxKeyOffset)
            {
                // Entries hold a 40-bit arena offset; a terabyte of keys is past any machine this runs on.
                throw new OutOfMemoryException("The key index holds at most 1 TiB of key bytes.");
            }

            if (needed > _region.Length)
            {
                // Half again as much each time keeps growth amortized O(1); mremap moves page tables rather
                // than copying bytes, so a smaller factor than doubling costs little and reserves less.
                GrowTo(Math.Max(needed, _region.Length + (_region.Length / 2)));
            }
        }

        /// <summary>Makes sure the arena can hold <paramref name="totalBytes"/> used bytes (live and dead) without growing.</summary>
        /// <param name="totalBytes">The used bytes to make room for.</param>
        public void Reserve(ulong totalBytes)
        {
            if (totalBytes > _region.Length)
            {
                GrowTo(totalBytes);
            }
        }

        /// <summary>Appends a key's bytes; <see cref="EnsureRoom"/> must have made room for them.</summary>
        /// <param name="key">The key.</param>
        /// <returns>The offset of the copy.</returns>
        public ulong Append(ReadOnlySpan<byte> key)
        {
            ulong offset = _used;
            key.CopyTo(new Span<byte>(_start + offset, key.Length));
            _used = offset + (ulong)key.Length;
            return offset;
        }

        /// <summary>Counts a removed key's bytes as dead.</summary>
        /// <param name="length">The key's length.</param>
        public void Release(int length) => _dead += (ulong)length;

        /// <summary>
        /// Copies the key of every entry in use into a fresh region sized for them, repoints the entries,
        /// and unmaps the old region, which returns the dead bytes' pages to the system. If the new region
        /// cannot be mapped this throws with nothing changed.
        /// </summary>
        /// <param name="entries">The index's entry array.</param>
        /// <param name="entryCount">Entries in use or on the free list (free ones are skipped).</param>
        public void Compact(IndexEntry* entries, uint entryCount)
        {
            ulong live = _used - _dead;

            // A quarter of headroom, so that the inserts that follow do not grow the region at once.
            NativeRegion fresh = NativeRegion.Allocate((nuint)Math.Max(live + (live / 4), 1));
            byte* target = fresh.Pointer;
            ulong tail = 0;
            for (uint n = 0; n < entryCount; n++)
            {
                IndexEntry* entry = entries + n;
                if ((entry->Flags & IndexEntry.FreeFlag) != 0)
                {
                    continue;
                }

                Buffer.MemoryCopy(_start + entry->KeyOffset, target + tail, entry->KeyLength, entry->KeyLength);
                entry->KeyOffset = tail;
                tail += entry->KeyLength;
            }

            _region.Dispose();
            _region = fresh;
            _start = target;
            _used = tail;
            _dead = 0;
        }

        /// <summary>Unmaps the arena.</summary>
        public void Dispose()
        {
            _region.Dispose();
            _start = null;
        }

        private void GrowTo(ulong bytes)
        {
            _region.Grow((nuint)bytes);
            _start = _region.Pointer;
        }
    }
}
