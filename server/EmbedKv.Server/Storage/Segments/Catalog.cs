using System;
using System.Collections.Generic;
using System.Threading;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.Index;

namespace EmbedKv.Server.Storage.Segments
{
    /// <summary>
    /// The index and the segment table behind one lock, with the dead-byte accounting that decides
    /// compaction. Readers, the committer and the compactor all go through here; the lock is held
    /// only for in-memory work, never across a syscall.
    /// </summary>
    internal sealed class Catalog : IDisposable
    {
        private readonly object _lock = new object();
        private readonly KeyIndex _index = new KeyIndex();
        private readonly Dictionary<uint, Segment> _segments = new Dictionary<uint, Segment>();
        private long _recordBytes;
        private long _deadBytes;
        private ulong _appliedSequence;

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _index.Count;
                }
            }
        }

        /// <summary>Bytes of all records on disk, live or dead.</summary>
        public long RecordBytes => Volatile.Read(ref _recordBytes);

        public long DeadBytes => Volatile.Read(ref _deadBytes);

        /// <summary>
        /// The sequence of the last write made visible. Writes are applied in sequence order (the commit
        /// thread applies its batches in order; Batched and None apply under the write lock), so every
        /// write at or below it is in the index, and a merge can wait for it (docs/storage.md, "Compaction").
        /// </summary>
        public ulong AppliedSequence => Volatile.Read(ref _appliedSequence);

        public long IndexNativeBytes
        {
            get
            {
                lock (_lock)
                {
                    return _index.NativeBytes;
                }
            }
        }

        public void AddSegment(Segment segment)
        {
            lock (_lock)
            {
                _segments.Add(segment.Id, segment);
                _recordBytes += segment.RecordBytes;
                _deadBytes += segment.DeadBytes;
            }
        }

        /// <summary>Records that <paramref name="bytes"/> were appended to <paramref name="segment"/>.</summary>
        public void Grew(Segment segment, long bytes)
        {
            lock (_lock)
            {
                segment.Length += bytes;
                _recordBytes += bytes;
            }
        }

        public Segment[] Segments()
        {
            lock (_lock)
            {
                var all = new Segment[_segments.Count];
                _segments.Values.CopyTo(all, 0);
                Array.Sort(all, (a, b) => a.Id.CompareTo(b.Id));
                return all;
            }
        }

        /// <summary>Looks a key up and holds its segment open for the caller.</summary>
        public bool TryAcquire(ReadOnlySpan<byte> key, out StoredValue value)
        {
            lock (_lock)
            {
                if (!_index.TryGet(key, out RecordLocation location) || location.Tombstone)
                {
                    value = default;
                    return false;
                }

                Segment segment = _segments[location.Segment];
                segment.Acquire();
                value = new StoredValue(segment, location.Offset + RecordHeader.Size + key.Length, location.ValueLength);
                return true;
            }
        }

        public bool Contains(ReadOnlySpan<byte> key)
        {
            lock (_lock)
            {
                return _index.TryGet(key, out RecordLocation location) && !location.Tombstone;
            }
        }

        /// <summary>Makes a durable put or delete visible, and counts what it made dead.</summary>
        /// <exception cref="StorageInvariantException">The write is not newer than the last one applied.</exception>
        public WriteOutcome Apply(ReadOnlySpan<byte> key, in RecordLocation location)
        {
            lock (_lock)
            {
                // The index's remove and insert do not look at sequences, so a write applied after a newer
                // one would undo it in memory while the disk (read by highest sequence) keeps it: memory
                // and disk would disagree after a restart. Refuse rather than diverge.
                if (location.Sequence <= _appliedSequence)
                {
                    throw new StorageInvariantException("a write with sequence " + location.Sequence + " reached the index after sequence " + _appliedSequence);
                }

                Volatile.Write(ref _appliedSequence, location.Sequence);
                long length = RecordHeader.LengthOf(key.Length, location.ValueLength);
                if (location.Tombstone)
                {
                    // A tombstone is dead the moment it lands: it matters only while older records exist.
                    AddDead(location.Segment, length);
                    if (!_index.Remove(key, out RecordLocation removed))
                    {
                        return WriteOutcome.NotFound;
                    }

                    AddDead(removed.Segment, RecordHeader.LengthOf(key.Length, removed.ValueLength));
                    return WriteOutcome.Deleted;
                }

                switch (_index.Set(key, location, out RecordLocation previous))
                {
                    case IndexSetResult.Inserted:
                        return WriteOutcome.Created;
                    case IndexSetResult.Replaced:
                        AddDead(previous.Segment, RecordHeader.LengthOf(key.Length, previous.ValueLength));
                        return WriteOutcome.Replaced;
                    default:
                        AddDead(location.Segment, length);
                        return WriteOutcome.Replaced;
                }
            }
        }

        /// <summary>
        /// Adds a record found while recovering: the highest sequence wins whatever the reading order,
        /// and tombstones stay in the index (to outrank older puts read later) until <see cref="EndRecovery"/>.
        /// </summary>
        public void Recover(ReadOnlySpan<byte> key, in RecordLocation location)
        {
            _appliedSequence = Math.Max(_appliedSequence, location.Sequence);
            long length = RecordHeader.LengthOf(key.Length, location.ValueLength);
            if (location.Tombstone)
            {
                AddDead(location.Segment, length);
            }

            switch (_index.Set(key, location, out RecordLocation previous))
            {
                case IndexSetResult.Replaced when !previous.Tombstone:
                    AddDead(previous.Segment, RecordHeader.LengthOf(key.Length, previous.ValueLength));
                    break;
                case IndexSetResult.IgnoredOlder when !location.Tombstone:
                    AddDead(location.Segment, length);
                    break;
            }
        }

        /// <summary>Drops the tombstones kept for recovery and totals the segments' bytes.</summary>
        public void EndRecovery()
        {
            lock (_lock)
            {
                _index.RemoveTombstones();
                _recordBytes = 0;
                _deadBytes = 0;
                foreach (Segment segment in _segments.Values)
                {
                    _recordBytes += segment.RecordBytes;
                    _deadBytes += segment.DeadBytes;
                }
            }
        }

        /// <summary>Points a key at its merged copy, unless a newer write replaced it meanwhile.</summary>
        public bool Relocate(ReadOnlySpan<byte> key, ulong sequence, uint segment, uint offset)
        {
            lock (_lock)
            {
                return _index.TryRelocate(key, sequence, segment, offset);
            }
        }

        /// <summary>True if the record at that place is the key's current one (so a merge must keep it).</summary>
        public bool IsLive(ReadOnlySpan<byte> key, uint segment, uint offset)
        {
            lock (_lock)
            {
                return _index.TryGet(key, out RecordLocation location)
                    && !location.Tombstone && location.Segment == segment && location.Offset == offset;
            }
        }

        /// <summary>Counts bytes of a segment as dead (merged copies that a newer write had already replaced).</summary>
        public void MarkDead(Segment segment, long bytes)
        {
            lock (_lock)
            {
                segment.DeadBytes += bytes;
                _deadBytes += bytes;
            }
        }

        /// <summary>Takes retired segments out of the table; their files close once readers let go.</summary>
        public void Remove(IEnumerable<Segment> retired)
        {
            lock (_lock)
            {
                foreach (Segment segment in retired)
                {
                    _segments.Remove(segment.Id);
                    _recordBytes -= segment.RecordBytes;
                    _deadBytes -= segment.DeadBytes;
                }
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                foreach (Segment segment in _segments.Values)
                {
                    segment.Retire();
                }

                _segments.Clear();
                _index.Dispose();
            }
        }

        private void AddDead(uint segmentId, long bytes)
        {
            if (_segments.TryGetValue(segmentId, out Segment? segment))
            {
                segment.DeadBytes += bytes;
                _deadBytes += bytes;
            }
        }
    }
}
