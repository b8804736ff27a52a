using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.ExceptionServices;
using System.Threading;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.Index;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>
    /// The append side of the store: one lock orders every write, gives it the next sequence number,
    /// appends its record to the active segment and, under <see cref="DurabilityMode.Always"/>, queues it
    /// for the commit thread. Appending holds the lock across <c>pwrite</c> so the file never has holes:
    /// recovery reads a hole as a torn tail and would cut off everything after it.
    /// </summary>
    internal sealed partial class WriteLog
    {
        // Values up to this size go out with their header and key in one pwrite.
        private const int InlineValueSize = 64 * 1024;

        // The header and the longest key a record can carry always fit, with room for a small value: a
        // buffer of 64 KiB in all once threw on a key the settings accepted (65,520 bytes), on an event loop.
        private const int RecordBufferSize = RecordHeader.Size + KeyIndex.MaxKeyLength + InlineValueSize + RecordHeader.TrailerSize;

        private readonly object _lock = new object();
        private readonly IStorageDirectory _directory;
        private readonly Catalog _catalog;
        private readonly StoreOptions _options;
        private readonly byte[] _recordBuffer = new byte[RecordBufferSize];
        private readonly List<Segment> _unsynced = new List<Segment>();
        private readonly Stack<ValueUpload> _uploads = new Stack<ValueUpload>();
        private readonly DiskFullGate _diskFull;
        private PendingBatch _filling = new PendingBatch();
        private PendingBatch _spare = new PendingBatch();

        // The batch the commit thread is syncing and applying: its writes are not in the index yet (or
        // not all), yet a conditional write must see them.
        private PendingBatch? _committing;

        // Null (despite its type) only while a full disk has left the store without one since it opened:
        // Append creates it before writing, so the record writing code never sees null.
        private Segment _active;

        private uint _lastSegmentId;
        private ulong _lastSequence;
        private Exception? _failure;
        private bool _closing;

        // The commit thread was woken for the filling batch: once per batch is enough.
        private bool _committerWoken;

        public WriteLog(IStorageDirectory directory, Catalog catalog, StoreOptions options, uint lastSegmentId, ulong lastSequence)
        {
            _directory = directory;
            _catalog = catalog;
            _options = options;
            _diskFull = new DiskFullGate(options);
            _lastSegmentId = lastSegmentId;
            _lastSequence = lastSequence;
            try
            {
                _active = CreateSegment();
            }
            catch (StorageFullException)
            {
                // A full disk must not keep the store from opening: reads need no new file, and the first
                // write that finds space creates the active segment (docs/storage.md, "Disk full").
                _active = null!;
                return;
            }

            _active.DirectorySynced = true;
            _directory.Sync();
        }

        public IStorageDirectory Directory => _directory;

        public Catalog Catalog => _catalog;

        public StoreOptions Options => _options;

        /// <summary>Why the store refuses writes, or null.</summary>
        public Exception? Failure => Volatile.Read(ref _failure);

        /// <summary>
        /// Appends a put or a tombstone, if <paramref name="condition"/> holds for the key's latest write.
        /// Returns the outcome when the write is complete at once (<see cref="DurabilityMode.Batched"/> and
        /// <see cref="DurabilityMode.None"/>, or a condition that failed), or null when the commit thread will
        /// report it to <paramref name="completion"/>. Throws if the write failed; the store stays usable
        /// unless the failure left the segment in doubt.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value (empty for a tombstone).</param>
        /// <param name="tombstone">A delete.</param>
        /// <param name="expires">When the value expires, in Unix seconds; 0 if never.</param>
        /// <param name="condition">What the key's latest write must be for this one to happen.</param>
        /// <param name="completion">Who hears the outcome later.</param>
        /// <param name="token">Passed back to <paramref name="completion"/>.</param>
        /// <param name="sequence">The write's sequence (its version); 0 if nothing was written.</param>
        public WriteOutcome? Append(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, uint expires, in Precondition condition, IWriteCompletion? completion, ulong token, out ulong sequence)
        {
            long length = RecordHeader.LengthOf(key.Length, value.Length, expires != 0);
            sequence = 0;
            lock (_lock)
            {
                ThrowIfRefusing();
                if (!condition.IsNone)
                {
                    // The check and the append are one step under the write lock, which orders every write.
                    bool exists = TryFindLatest(key, out ulong current);
                    if (!condition.HoldsFor(exists, current))
                    {
                        return WriteOutcome.PreconditionFailed;
                    }

                    if (tombstone && !exists)
                    {
                        return WriteOutcome.NotFound;
                    }
                }

                if (_active is null || (_active.Length + length > _options.SegmentSize && _active.RecordBytes > 0))
                {
                    Rotate();
                }

                ulong next = _lastSequence + 1;
                long offset = _active.Length;
                WriteRecord(key, value, tombstone, expires, next, offset);
                _lastSequence = next;
                sequence = next;
                _active.MaxSequence = next;
                _catalog.Grew(_active, length, expires);

                var location = new RecordLocation(_active.Id, (uint)offset, (uint)value.Length, next, tombstone, expires);
                if (_options.Durability.Mode == DurabilityMode.Always)
                {
                    Enqueue(key, location, _active, completion, token, upload: null);
                    return null;
                }

                MarkUnsynced(_active);
                return ApplyNow(key, location);
            }
        }

        /// <summary>
        /// The key's latest write, acknowledged or still syncing, as a conditional write will judge it: whether
        /// the key exists (unexpired) and its version. For a check made before a long body is read (Expect:
        /// 100-continue); the write itself checks again.
        /// </summary>
        public bool CurrentVersion(ReadOnlySpan<byte> key, out ulong version)
        {
            lock (_lock)
            {
                return TryFindLatest(key, out version);
            }
        }

        /// <summary>Under the write lock: the newest of the filling batch, the batch committing, and the index.</summary>
        private bool TryFindLatest(ReadOnlySpan<byte> key, out ulong version)
        {
            bool found = _filling.TryFindLatest(key, out RecordLocation location)
                || (_committing is { } committing && committing.TryFindLatest(key, out location))
                || _catalog.TryGetLocation(key, out location);
            version = found ? location.Sequence : 0;
            return found && !location.Tombstone && !location.ExpiredAt(_options.NowUnixSeconds());
        }

        /// <summary>
        /// The moment that bounds what a merge may judge: the last sequence handed out and the segment
        /// appends go to (0 while a full disk leaves none). Once <see cref="Catalog.AppliedSequence"/>
        /// reaches that sequence, every record written before it is in the index.
        /// </summary>
        public (ulong Sequence, uint ActiveSegment, ulong ActiveFirstSequence) Horizon()
        {
            lock (_lock)
            {
                // Every record below the active segment's first sequence lies in a segment that takes no
                // more appends (ulong.MaxValue while a full disk leaves no active segment).
                return (_lastSequence, _active?.Id ?? 0, _active?.FirstSequence ?? ulong.MaxValue);
            }
        }

        /// <summary>Starts a value that arrives in chunks, in a segment file of its own.</summary>
        public ValueUpload BeginUpload(ReadOnlySpan<byte> key, uint expires)
        {
            ValueUpload upload;
            uint id;
            lock (_lock)
            {
                ThrowIfRefusing();
                _diskFull.ThrowIfKnownFull();
                id = ++_lastSegmentId;
                upload = _uploads.Count > 0 ? _uploads.Pop() : new ValueUpload(this);
            }

            IStorageFile file = _diskFull.CreateNew(_directory, FileNames.Partial(id));

            try
            {
                upload.Start(key, expires, id, file);
            }
            catch (Exception e)
            {
                file.Dispose();
                _directory.TryDelete(FileNames.Partial(id));
                if (e is StorageFullException full)
                {
                    throw _diskFull.Refused(full);
                }

                throw;
            }

            _diskFull.SpaceFound(file.Name);
            return upload;
        }

        /// <summary>
        /// Gives a finished upload its sequence. Under <see cref="DurabilityMode.Always"/> it is queued for the
        /// commit thread, which syncs it, renames it into place and makes it visible (null is returned); under
        /// Batched and None it is renamed and made visible here, under the write lock like every other write
        /// of those modes, so that the index takes writes in sequence order (a DELETE made meanwhile must not
        /// be undone by an older upload applied after it), and its outcome is returned.
        /// </summary>
        internal WriteOutcome? CompleteUpload(ValueUpload upload, in Precondition condition, IWriteCompletion completion, ulong token, out ulong sequence)
        {
            sequence = 0;
            lock (_lock)
            {
                ThrowIfRefusing();
                if (!condition.IsNone && !condition.HoldsFor(TryFindLatest(upload.Key, out ulong current), current))
                {
                    return WriteOutcome.PreconditionFailed; // the caller deletes the upload
                }

                // The sequence is taken only once nothing can fail any more, so that every sequence handed
                // out reaches the index (a merge waits for that) or fails the log.
                sequence = _lastSequence + 1;
                upload.Seal(sequence);
                var location = new RecordLocation(upload.SegmentId, SegmentHeader.Size, (uint)upload.Length, sequence, Tombstone: false, upload.Expires);
                if (_options.Durability.Mode == DurabilityMode.Always)
                {
                    _lastSequence = sequence;
                    Enqueue(upload.Key, location, null!, completion, token, upload);
                    return null;
                }

                _directory.Rename(FileNames.Partial(upload.SegmentId), FileNames.Segment(upload.SegmentId));
                _lastSequence = sequence;
                Segment segment = upload.ToSegment(sequence);
                _catalog.AddSegment(segment);
                MarkUnsynced(segment);
                try
                {
                    return ApplyNow(upload.Key, location);
                }
                finally
                {
                    // The file belongs to the segment now: the upload must not delete or close it, even if applying failed.
                    upload.Finish();
                }
            }
        }

        /// <summary>Makes a Batched or None write visible at once (under the write lock, so in sequence order).</summary>
        private WriteOutcome ApplyNow(ReadOnlySpan<byte> key, in RecordLocation location)
        {
            WriteOutcome outcome;
            try
            {
                outcome = _catalog.Apply(key, location, _options.NowUnixSeconds());
            }
            catch (Exception e)
            {
                // The record is on disk but not in the index (a broken invariant, or no memory for the index):
                // memory and disk disagree until a reopen, and a merge must not wait for it.
                _failure ??= e;
                StorageLog.RefusingWrites(_options.Logger, e.Message, e);
                throw new StorageFailedException(e);
            }

            // The writer is answered by its caller on its own thread; a loop drains that answer before the
            // waits this report wakes (Catalog.Report).
            _catalog.Report(key, outcome, location.Sequence);
            return outcome;
        }

        internal void Recycle(ValueUpload upload)
        {
            lock (_lock)
            {
                _uploads.Push(upload);
            }
        }

        /// <summary>
        /// Waits until writes are queued for the commit thread (or <paramref name="timeout"/> passes, or the log
        /// closes). Returns whether the log is closing. Writes queued by an event loop that commits before it
        /// sleeps do not end the wait (<see cref="IWriteCompletion.CommitsBeforeSleep"/>), unless that loop
        /// hands them over.
        /// </summary>
        public bool WaitForWrites(TimeSpan timeout)
        {
            lock (_lock)
            {
                if (!_committerWoken && !_closing)
                {
                    Monitor.Wait(_lock, timeout);
                }

                return _closing;
            }
        }

        /// <summary>
        /// Whether writes are queued that a loop may commit on its own thread: some are, and the commit thread was
        /// not woken for them. A woken commit thread takes the whole queue anyway (a loop that took it would leave
        /// it an empty round), and every streamed value wakes it, so a loop never syncs an upload's file.
        /// </summary>
        public bool HasInlineWork
        {
            get
            {
                // Asked by every loop on every turn, in every mode: an unlocked look first. A loop's own writes
                // were queued on its thread, so it cannot miss them; other threads' writes are not its to commit.
                if (Volatile.Read(ref _filling).Count == 0)
                {
                    return false;
                }

                lock (_lock)
                {
                    return Unclaimed;
                }
            }
        }

        /// <summary>Under the write lock: writes are queued and the commit thread was not woken for them.</summary>
        private bool Unclaimed => _filling.Count > 0 && !_committerWoken;

        /// <summary>Wakes the commit thread for what is queued (a loop that could not commit it hands it over).</summary>
        public void WakeCommitter()
        {
            lock (_lock)
            {
                if (Unclaimed)
                {
                    _committerWoken = true;
                    Monitor.Pulse(_lock);
                }
            }
        }

        /// <summary>
        /// For a round on a loop's thread: the queued writes, decided under the lock as <see cref="HasInlineWork"/>
        /// describes, or null (nothing queued, or the commit thread was woken for them).
        /// </summary>
        public PendingBatch? TryTakeInlineBatch()
        {
            lock (_lock)
            {
                return Unclaimed ? TakeBatch() : null;
            }
        }

        /// <summary>
        /// Hands over the writes queued so far; the caller (one commit round at a time) returns the batch with
        /// <see cref="Recycle(PendingBatch)"/>.
        /// </summary>
        public PendingBatch TakeBatch()
        {
            lock (_lock)
            {
                PendingBatch batch = _filling;
                _filling = _spare;
                _spare = null!;
                _committing = batch;
                _committerWoken = false;
                return batch;
            }
        }

        public void Recycle(PendingBatch batch)
        {
            lock (_lock)
            {
                // Applied (or failed, failing the log): the index now answers for its writes.
                batch.Clear();
                _committing = null;
                _spare = batch;
            }
        }

        /// <summary>Segments written since the last periodic sync (Batched and None modes).</summary>
        public Segment[] TakeUnsynced()
        {
            lock (_lock)
            {
                Segment[] segments = _unsynced.ToArray();
                _unsynced.Clear();
                return segments;
            }
        }

        /// <summary>
        /// A write refused for space (<see cref="StorageFullException"/>) normally leaves the store whole. If
        /// cutting back its partial record failed too, the log is failed, and the refusal no longer passes: then
        /// the caller hears the write's own failure, as for any other errno.
        /// </summary>
        public void ThrowIfFailedBy(StorageFullException refused)
        {
            if (Failure is not null)
            {
                ExceptionDispatchInfo.Throw(refused.Cause);
            }
        }

        /// <summary>Stops all writes for good: durability can no longer be promised.</summary>
        public void Fail(Exception cause)
        {
            // A refusal for space that fails the log (a commit step's) passes no more: record the operation's own failure.
            cause = cause is StorageFullException full ? full.Cause : cause;
            lock (_lock)
            {
                _failure ??= cause;
            }

            StorageLog.RefusingWrites(_options.Logger, cause.Message, cause);
        }

        /// <summary>Refuses new writes and wakes the commit thread so it can drain what is queued.</summary>
        public void Close()
        {
            lock (_lock)
            {
                _closing = true;
                Monitor.PulseAll(_lock);
            }
        }

        /// <summary>Seals the active segment and starts a new one (so a merge can take everything written so far).</summary>
        public void RotateNow()
        {
            lock (_lock)
            {
                ThrowIfRefusing();
                if (_active is not null && _active.RecordBytes > 0)
                {
                    Rotate();
                }
            }
        }

        /// <summary>A fresh id for a merge's output segment.</summary>
        public uint NextSegmentId()
        {
            lock (_lock)
            {
                return ++_lastSegmentId;
            }
        }

        private void ThrowIfRefusing()
        {
            if (_failure is not null)
            {
                throw new StorageFailedException(_failure);
            }

            if (_closing)
            {
                throw new ObjectDisposedException(nameof(KvStore), "the store is closing");
            }
        }

        private void Enqueue(ReadOnlySpan<byte> key, in RecordLocation location, Segment segment, IWriteCompletion? completion, ulong token, ValueUpload? upload)
        {
            _filling.Add(key, location, segment, completion, token, upload);

            // A loop that commits before it sleeps needs no commit thread (and no context switch) for its
            // own writes; anyone else, and any streamed value, wakes it once per batch.
            if (!_committerWoken && (upload is not null || completion is not { CommitsBeforeSleep: true }))
            {
                _committerWoken = true;
                Monitor.Pulse(_lock);
            }
        }

        /// <summary>Queues a segment for Batched's periodic sync (None never syncs before the close, so keeps no list).</summary>
        private void MarkUnsynced(Segment segment)
        {
            if (_options.Durability.Mode == DurabilityMode.Batched && !_unsynced.Contains(segment))
            {
                _unsynced.Add(segment);
            }
        }

        private void WriteRecord(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, uint expires, ulong sequence, long offset)
        {
            // The claim is read after the sync that set it returned, so it is true even if this record is lost.
            var header = new RecordHeader(key.Length, value.Length, sequence, tombstone, _active.SyncedLength, expires: expires);
            Span<byte> buffer = _recordBuffer;
            int headerAndKey = RecordHeader.Size + key.Length;
            int trailer = header.HasTrailer ? RecordHeader.TrailerSize : 0;
            Span<byte> trailerBytes = stackalloc byte[RecordHeader.TrailerSize];
            RecordHeader.WriteTrailer(trailerBytes, expires);
            header.WriteTo(buffer);
            key.CopyTo(buffer.Slice(RecordHeader.Size));
            uint crc = Crc32C.Append(Crc32C.Append(_active.Format.CrcSeed(offset), key), value);
            crc = Crc32C.Append(crc, trailerBytes.Slice(0, trailer));
            RecordHeader.Seal(buffer, crc);
            try
            {
                if (headerAndKey + value.Length + trailer <= buffer.Length)
                {
                    // One pwrite for the whole record: copying a small value is cheaper than a second syscall.
                    value.CopyTo(buffer.Slice(headerAndKey));
                    trailerBytes.Slice(0, trailer).CopyTo(buffer.Slice(headerAndKey + value.Length));
                    _active.Handle.WriteAt(buffer.Slice(0, headerAndKey + value.Length + trailer), offset);
                }
                else
                {
                    _active.Handle.WriteAt(buffer.Slice(0, headerAndKey), offset);
                    _active.Handle.WriteAt(value, offset + headerAndKey);
                    if (trailer > 0)
                    {
                        _active.Handle.WriteAt(trailerBytes, offset + headerAndKey + value.Length);
                    }
                }
            }
            catch (Exception writeError)
            {
                CutBack(offset, writeError);
                throw;
            }
        }

        /// <summary>Removes a partly written record so that the next record follows the last good one.</summary>
        private void CutBack(long offset, Exception writeError)
        {
            try
            {
                _active.Handle.Truncate(offset);
            }
            catch (Exception truncateError)
            {
                // The segment now ends in a partial record that later appends would follow: only a
                // reopen (which truncates torn tails) can make it whole again.
                _failure ??= new IOException("a failed write (" + writeError.Message + ") could not be cut back: " + truncateError.Message, truncateError);
            }
        }
    }
}
