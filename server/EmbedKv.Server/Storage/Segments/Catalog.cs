using System;
using System.Collections.Generic;
using System.Threading;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.Index;
using EmbedKv.Server.Storage.Watch;

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

        /// <summary>Who hears of each write and delete <see cref="Apply"/> makes visible (long-polls, in-process waits).</summary>
        public KeyChangeFeed Changes { get; } = new KeyChangeFeed();

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

        /// <summary>Records that <paramref name="bytes"/> were appended to <paramref name="segment"/>, in a record expiring at <paramref name="expires"/> (0: never).</summary>
        public void Grew(Segment segment, long bytes, uint expires = 0)
        {
            lock (_lock)
            {
                segment.Length += bytes;
                segment.NoteExpiring(expires, bytes);
                _recordBytes += bytes;
            }
        }

        /// <summary>
        /// Bytes of segments whose every expiring record has expired by <paramref name="now"/>: an estimate of
        /// what a merge would reclaim beyond <see cref="DeadBytes"/> (some may be counted dead already).
        /// </summary>
        public long ExpiredBytes(long now)
        {
            lock (_lock)
            {
                long bytes = 0;
                foreach (Segment segment in _segments.Values)
                {
                    if (segment.LatestExpiry != 0 && segment.LatestExpiry <= now)
                    {
                        bytes += segment.ExpiringBytes;
                    }
                }

                return bytes;
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

        /// <summary>
        /// Every segment, in id order, each held open (<see cref="Segment.Acquire"/>) for the caller, who
        /// releases each. Under the lock, so no merge is halfway through swapping its outputs for its inputs
        /// here, and none retired yet (a merge retires inputs only after taking them out of the table).
        /// </summary>
        public Segment[] AcquireAll()
        {
            lock (_lock)
            {
                Segment[] all = Segments();
                for (int i = 0; i < all.Length; i++)
                {
                    all[i].Acquire();
                }

                return all;
            }
        }

        /// <summary>Looks a key up (absent if expired at <paramref name="now"/>, Unix seconds) and holds its segment open for the caller.</summary>
        public bool TryAcquire(ReadOnlySpan<byte> key, long now, out StoredValue value)
        {
            lock (_lock)
            {
                if (!_index.TryGet(key, out RecordLocation location) || location.Tombstone || location.ExpiredAt(now))
                {
                    value = default;
                    return false;
                }

                Segment segment = _segments[location.Segment];
                segment.Acquire();
                value = new StoredValue(segment, location.Offset + RecordHeader.Size + key.Length, location.ValueLength, location.Sequence, location.Expires);
                return true;
            }
        }

        /// <summary>Whether a key exists, unexpired at <paramref name="now"/> (Unix seconds), and its version.</summary>
        public bool TryGetVersion(ReadOnlySpan<byte> key, long now, out ulong version)
        {
            lock (_lock)
            {
                bool exists = _index.TryGet(key, out RecordLocation location) && !location.Tombstone && !location.ExpiredAt(now);
                version = exists ? location.Sequence : 0;
                return exists;
            }
        }

        /// <summary>
        /// Copies keys that start with <paramref name="prefix"/>, in unsigned byte order from just after
        /// <paramref name="after"/>, live at <paramref name="now"/> (Unix seconds), into the caller's buffers,
        /// until either is full. Returns how many; <paramref name="more"/> says whether another such key follows.
        /// </summary>
        public int List(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> after, long now, Span<byte> keyBuffer, Span<ListedKey> keys, out bool more)
        {
            // Start at the prefix, or just after "after" if that comes later: either way every key yielded is past both.
            bool fromAfter = after.SequenceCompareTo(prefix) >= 0 && !(after.IsEmpty && prefix.IsEmpty);
            int count = 0, used = 0;
            more = false;
            lock (_lock)
            {
                foreach ((ReadOnlySpan<byte> key, RecordLocation location) in _index.OrderedFrom(fromAfter ? after : prefix, inclusive: !fromAfter))
                {
                    if (!key.StartsWith(prefix))
                    {
                        break;
                    }

                    if (location.Tombstone || location.ExpiredAt(now))
                    {
                        continue;
                    }

                    if (count == keys.Length || used + key.Length > keyBuffer.Length)
                    {
                        more = true;
                        break;
                    }

                    key.CopyTo(keyBuffer.Slice(used));
                    keys[count++] = new ListedKey(used, key.Length, new ValueInfo(location.ValueLength, location.Sequence, location.Expires));
                    used += key.Length;
                }
            }

            return count;
        }

        /// <summary>The key's location as the index holds it, expired or not (the write log judges).</summary>
        public bool TryGetLocation(ReadOnlySpan<byte> key, out RecordLocation location)
        {
            lock (_lock)
            {
                return _index.TryGet(key, out location);
            }
        }

        /// <summary>
        /// As <see cref="TryGetLocation(ReadOnlySpan{byte}, out RecordLocation)"/>, with the sequence of the last write applied at that moment: every
        /// write the feed reports at or below it is already in what this look saw (see Watch/KeyChangeFeed).
        /// </summary>
        public bool TryGetLocation(ReadOnlySpan<byte> key, out RecordLocation location, out ulong applied)
        {
            lock (_lock)
            {
                applied = _appliedSequence;
                return _index.TryGet(key, out location);
            }
        }

        /// <summary>
        /// Makes a durable put or delete visible, and counts what it made dead. A key that had expired by
        /// <paramref name="now"/> (Unix seconds) counts as absent: its put is a create, its delete finds nothing.
        /// </summary>
        /// <remarks>
        /// The caller then tells the watchers (<see cref="Report"/>), after the lock and after it answered the
        /// writer: a loop woken by the report first answered up to a turn of woken long-polls before the
        /// writer's own 201, which came a moment later.
        /// </remarks>
        /// <exception cref="StorageInvariantException">The write is not newer than the last one applied.</exception>
        public WriteOutcome Apply(ReadOnlySpan<byte> key, in RecordLocation location, long now)
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
                long length = LengthOf(key, location);
                if (location.Tombstone)
                {
                    // A tombstone is dead the moment it lands: it matters only while older records exist.
                    AddDead(location.Segment, length);
                    if (!_index.Remove(key, out RecordLocation removed))
                    {
                        return WriteOutcome.NotFound;
                    }

                    AddDead(removed.Segment, LengthOf(key, removed));
                    return removed.ExpiredAt(now) ? WriteOutcome.NotFound : WriteOutcome.Deleted;
                }

                switch (_index.Set(key, location, out RecordLocation previous))
                {
                    case IndexSetResult.Inserted:
                        return WriteOutcome.Created;
                    case IndexSetResult.Replaced:
                        AddDead(previous.Segment, LengthOf(key, previous));
                        return previous.ExpiredAt(now) ? WriteOutcome.Created : WriteOutcome.Replaced;
                    default:
                        AddDead(location.Segment, length);
                        return WriteOutcome.Replaced;
                }
            }
        }

        /// <summary>
        /// Tells the watchers of <paramref name="key"/> that the write of <paramref name="sequence"/>, which
        /// <see cref="Apply"/> made visible with <paramref name="outcome"/>, changed it (a delete that found
        /// nothing changed nothing). Outside the lock, so a watcher woken now reads the new state, and no sink
        /// runs under it.
        /// </summary>
        public void Report(ReadOnlySpan<byte> key, WriteOutcome outcome, ulong sequence)
        {
            if (outcome is WriteOutcome.Created or WriteOutcome.Replaced or WriteOutcome.Deleted)
            {
                Changes.Changed(key, sequence);
            }
        }

        /// <summary>
        /// Adds a record found while recovering: the highest sequence wins whatever the reading order,
        /// and tombstones stay in the index (to outrank older puts read later) until <see cref="EndRecovery"/>.
        /// A put already expired at <paramref name="now"/> (Unix seconds) counts as a tombstone: the key is
        /// absent, and its older records must stay outranked.
        /// </summary>
        public void Recover(ReadOnlySpan<byte> key, RecordLocation location, long now)
        {
            _appliedSequence = Math.Max(_appliedSequence, location.Sequence);
            long length = LengthOf(key, location);
            if (location.ExpiredAt(now))
            {
                location = location with { Tombstone = true };
            }

            if (location.Tombstone)
            {
                AddDead(location.Segment, length);
            }

            switch (_index.Set(key, location, out RecordLocation previous))
            {
                case IndexSetResult.Replaced when !previous.Tombstone:
                    AddDead(previous.Segment, LengthOf(key, previous));
                    break;
                case IndexSetResult.IgnoredOlder when !location.Tombstone:
                    AddDead(location.Segment, length);
                    break;
            }
        }

        /// <summary>Recovery begins: the index defers ordering its keys until <see cref="EndRecovery"/> (a bulk load).</summary>
        public void BeginRecovery()
        {
            lock (_lock)
            {
                _index.BeginBulkLoad();
            }
        }

        /// <summary>Drops the tombstones kept for recovery, builds the ordered index at once, and totals the segments' bytes.</summary>
        public void EndRecovery()
        {
            lock (_lock)
            {
                _index.RemoveTombstones();
                _index.EndBulkLoad();
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

        /// <summary>
        /// A merge found the key's current record expired: the key leaves the index (it was absent already)
        /// and the record is dead, unless a newer write replaced it meanwhile.
        /// </summary>
        public void ForgetExpired(ReadOnlySpan<byte> key, ulong sequence)
        {
            lock (_lock)
            {
                if (_index.TryGet(key, out RecordLocation location) && location.Sequence == sequence && _index.Remove(key, out _))
                {
                    AddDead(location.Segment, LengthOf(key, location));
                }
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

        private static long LengthOf(ReadOnlySpan<byte> key, in RecordLocation location)
            => RecordHeader.LengthOf(key.Length, location.ValueLength, location.Expires != 0);

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
