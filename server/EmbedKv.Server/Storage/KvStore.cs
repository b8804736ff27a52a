using System;
using System.Threading;
using EmbedKv.Server.Storage.Compaction;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Recovery;
using EmbedKv.Server.Storage.Segments;
using EmbedKv.Server.Storage.Watch;
using EmbedKv.Server.Storage.Writes;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// A durable key-value store on an append-only log (docs/storage.md). Thread-safe. Writes are
    /// acknowledged as <see cref="StoreOptions.Durability"/> promises; reads see acknowledged writes.
    /// </summary>
    /// <remarks>
    /// Every write gives its key a new version (<see cref="WriteResult.Version"/>), which survives restarts
    /// and merges. Puts and deletes can be conditional (<see cref="WriteCondition"/>: create-only, or
    /// compare-and-set on the version), checked atomically against every other write, and a put can expire
    /// (a time to live). The span overloads (<see cref="TryRead"/>, <see cref="TryGetInfo"/>, the
    /// conditional <see cref="Put(ReadOnlySpan{byte}, ReadOnlySpan{byte}, WriteCondition, TimeSpan?)"/> and
    /// <see cref="Delete(ReadOnlySpan{byte}, WriteCondition)"/>) allocate nothing on the GC heap per call.
    /// </remarks>
    public sealed partial class KvStore : IDisposable
    {
#pragma warning disable IDE1006 // t_ marks a [ThreadStatic] field
        [ThreadStatic]
        private static WriteWaiter? t_waiter;
#pragma warning restore IDE1006

        private readonly IStorageDirectory _directory;
        private readonly Catalog _catalog;
        private readonly WriteLog _log;
        private readonly GroupCommitter _committer;
        private readonly Compactor _compactor;
        private readonly KeyWaiters _waiters;
        private int _disposed;

        private KvStore(StoreOptions options, IStorageDirectory directory)
        {
            Options = options;
            _directory = directory;
            _catalog = new Catalog();
            try
            {
                Recovery = StoreRecovery.Run(directory, _catalog, options);
                _log = new WriteLog(directory, _catalog, options, Recovery.LastSegmentId, Recovery.LastSequence);
                _compactor = new Compactor(_log);
                _committer = new GroupCommitter(_log, _compactor.Poke);
                _waiters = new KeyWaiters(_catalog.Changes, options.Clock);
            }
            catch
            {
                _catalog.Dispose();
                throw;
            }
        }

        /// <summary>The options the store was opened with.</summary>
        public StoreOptions Options { get; }

        /// <summary>What opening found on disk.</summary>
        public RecoveryReport Recovery { get; }

        /// <summary>Keys in the index: live ones, and expired ones that no merge or reopen has reclaimed yet.</summary>
        public int Count => _catalog.Count;

        /// <summary>Bytes of records on disk, live or dead (segment headers excluded).</summary>
        public long DiskBytes => _catalog.RecordBytes;

        /// <summary>Bytes of records that compaction can reclaim.</summary>
        public long DeadBytes => _catalog.DeadBytes;

        /// <summary>Memory the index holds off the GC heap.</summary>
        public long IndexBytes => _catalog.IndexNativeBytes;

        /// <summary>Group commits that covered at least one write.</summary>
        public long SyncBatches => _committer.Batches;

        /// <summary>Writes those group commits covered (their ratio is the writes per sync).</summary>
        public long SyncedWrites => _committer.Writes;

        /// <summary>Merges completed.</summary>
        public long Compactions => _compactor.Merges;

        /// <summary>
        /// Why the store refuses writes for good (a failed sync), or null while it accepts them. A full disk
        /// does not set it: those writes fail alone, with <see cref="StorageFullException"/>.
        /// </summary>
        public Exception? WriteFailure => _log.Failure;

        /// <summary>Opens (creating if needed) the store in <see cref="StoreOptions.DataDirectory"/>.</summary>
        /// <param name="options">The options.</param>
        /// <returns>The open store.</returns>
        /// <exception cref="StorageLockedException">Another open store holds the directory.</exception>
        /// <exception cref="StorageCorruptedException">A segment is damaged beyond a torn tail.</exception>
        public static KvStore Open(StoreOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            options.Validate();
            return Open(options, NativeStorageDirectory.Open(options.DataDirectory, options.Logger));
        }

        internal static KvStore Open(StoreOptions options, IStorageDirectory directory)
        {
            try
            {
                DirectoryLock.Take(directory);
                return new KvStore(options, directory);
            }
            catch
            {
                directory.Dispose();
                throw;
            }
        }

        /// <summary>Finds a key's value and holds it readable; call <see cref="StoredValue.Release"/> when done.</summary>
        /// <param name="key">The key.</param>
        /// <param name="value">Where the value lies.</param>
        /// <returns>Whether the key exists.</returns>
        internal bool TryGet(ReadOnlySpan<byte> key, out StoredValue value) => _catalog.TryAcquire(key, NowUnixSeconds, out value);

        /// <summary>The store's clock in Unix seconds (<see cref="StoreOptions.Clock"/>), by which expiry is judged.</summary>
        internal long NowUnixSeconds => Options.NowUnixSeconds();

        /// <summary>Whether a key exists (and has not expired).</summary>
        /// <param name="key">The key.</param>
        /// <returns>True if it does.</returns>
        public bool Contains(ReadOnlySpan<byte> key) => _catalog.TryGetVersion(key, NowUnixSeconds, out _);

        /// <summary>What the store knows of a key's value (length, version, expiry), without reading it.</summary>
        /// <param name="key">The key.</param>
        /// <param name="info">The value's length, version and expiry.</param>
        /// <returns>Whether the key exists (and has not expired).</returns>
        public bool TryGetInfo(ReadOnlySpan<byte> key, out ValueInfo info)
        {
            if (!TryGet(key, out StoredValue value))
            {
                info = default;
                return false;
            }

            info = InfoOf(value);
            value.Release();
            return true;
        }

        /// <summary>
        /// Reads a value and its version into the caller's buffer. If the value is longer than
        /// <paramref name="destination"/>, only its start is copied: compare <see cref="ValueInfo.Length"/>
        /// with the buffer's length, and call again with a larger one (the version tells whether it changed).
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="destination">Where to copy the value.</param>
        /// <param name="info">The value's length, version and expiry.</param>
        /// <returns>Whether the key exists (and has not expired).</returns>
        public bool TryRead(ReadOnlySpan<byte> key, Span<byte> destination, out ValueInfo info)
        {
            if (!TryGet(key, out StoredValue value))
            {
                info = default;
                return false;
            }

            try
            {
                info = InfoOf(value);
                int wanted = (int)Math.Min(value.Length, destination.Length);
                for (int done = 0; done < wanted;)
                {
                    int read = ReadValue(value, done, destination.Slice(done, wanted - done));
                    if (read == 0)
                    {
                        throw new System.IO.EndOfStreamException("a value ended early");
                    }

                    done += read;
                }

                return true;
            }
            finally
            {
                value.Release();
            }
        }

        /// <summary>Copies part of a value into <paramref name="destination"/>.</summary>
        /// <param name="value">A value from <see cref="TryGet"/>, not yet released.</param>
        /// <param name="offset">Where in the value to start.</param>
        /// <param name="destination">Where to copy.</param>
        /// <returns>Bytes copied (0 at the value's end).</returns>
        internal int ReadValue(in StoredValue value, long offset, Span<byte> destination)
        {
            long remaining = value.Length - offset;
            if (remaining <= 0)
            {
                return 0;
            }

            Span<byte> target = destination.Length > remaining ? destination.Slice(0, (int)remaining) : destination;
            return value.Segment.Handle.ReadAt(target, value.FileOffset + offset);
        }

        /// <summary>Reads a whole value into a new array (convenient, but it allocates: not for hot paths).</summary>
        /// <param name="key">The key.</param>
        /// <returns>The value, or null if the key does not exist.</returns>
        public byte[]? Get(ReadOnlySpan<byte> key) => Get(key, out _);

        /// <summary>Reads a whole value and its version into a new array (convenient, but it allocates: not for hot paths).</summary>
        /// <param name="key">The key.</param>
        /// <param name="info">The value's length, version and expiry; default if the key does not exist.</param>
        /// <returns>The value, or null if the key does not exist.</returns>
        public byte[]? Get(ReadOnlySpan<byte> key, out ValueInfo info)
        {
            if (!TryGet(key, out StoredValue value))
            {
                info = default;
                return null;
            }

            try
            {
                info = InfoOf(value);
                byte[] bytes = new byte[value.Length];
                for (int done = 0; done < bytes.Length;)
                {
                    int read = ReadValue(value, done, bytes.AsSpan(done));
                    if (read == 0)
                    {
                        throw new System.IO.EndOfStreamException("a value ended early");
                    }

                    done += read;
                }

                return bytes;
            }
            finally
            {
                value.Release();
            }
        }

        /// <summary>
        /// Lists keys in unsigned byte order, without allocating: those that start with <paramref name="prefix"/>
        /// and come after <paramref name="after"/> (empty: from the first), skipping expired ones, copied into
        /// <paramref name="keyBuffer"/> until it or <paramref name="keys"/> is full. To go on, call again with
        /// the last key returned as <paramref name="after"/>: a cursor that stays valid whatever is written
        /// meanwhile (a key written later appears if it sorts after the cursor).
        /// </summary>
        /// <param name="prefix">What every key listed starts with (empty: every key).</param>
        /// <param name="after">The cursor: only keys after it are listed.</param>
        /// <param name="keyBuffer">Where the keys' bytes are copied.</param>
        /// <param name="keys">Where each key's place in <paramref name="keyBuffer"/> and its value's information go.</param>
        /// <param name="more">Whether further keys with the prefix follow the last one listed.</param>
        /// <returns>How many keys were listed.</returns>
        public int ListKeys(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> after, Span<byte> keyBuffer, Span<ListedKey> keys, out bool more)
            => _catalog.List(prefix, after, NowUnixSeconds, keyBuffer, keys, out more);

        /// <summary>Every key that starts with <paramref name="prefix"/>, in unsigned byte order, page by page (convenient, but it allocates).</summary>
        /// <param name="prefix">What every key listed starts with (empty: every key).</param>
        /// <returns>The keys with their values' information.</returns>
        public System.Collections.Generic.IEnumerable<(byte[] Key, ValueInfo Info)> EnumerateKeys(byte[] prefix)
        {
            ArgumentNullException.ThrowIfNull(prefix);
            byte[] keyBuffer = new byte[64 * 1024];
            var keys = new ListedKey[256];
            byte[] after = Array.Empty<byte>();
            bool more = true;
            while (more)
            {
                int count = ListKeys(prefix, after, keyBuffer, keys, out more);
                for (int i = 0; i < count; i++)
                {
                    yield return (keys[i].KeyIn(keyBuffer).ToArray(), keys[i].Info);
                }

                if (count == 0)
                {
                    yield break;
                }

                after = keys[count - 1].KeyIn(keyBuffer).ToArray();
            }
        }

        /// <summary>Stores a value and waits until it is as durable as the store promises.</summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value.</param>
        /// <returns><see cref="WriteOutcome.Created"/> or <see cref="WriteOutcome.Replaced"/>.</returns>
        public WriteOutcome Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Wait(key, value, tombstone: false, 0, WriteCondition.None).Outcome;

        /// <summary>
        /// Stores a value if <paramref name="condition"/> holds, optionally expiring, and waits until it is as
        /// durable as the store promises. A put without a time to live clears any expiry the key had.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value.</param>
        /// <param name="condition">What the key's latest write must be (checked atomically with this one).</param>
        /// <param name="timeToLive">How long the value lives (whole seconds, rounded up), or null for ever.</param>
        /// <returns>The outcome (<see cref="WriteOutcome.PreconditionFailed"/> if the condition did not hold) and the key's new version.</returns>
        public WriteResult Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteCondition condition, TimeSpan? timeToLive = null)
            => Wait(key, value, tombstone: false, ExpiryOf(timeToLive), condition);

        /// <summary>Deletes a key and waits until that is as durable as the store promises.</summary>
        /// <param name="key">The key.</param>
        /// <returns><see cref="WriteOutcome.Deleted"/> or <see cref="WriteOutcome.NotFound"/>.</returns>
        public WriteOutcome Delete(ReadOnlySpan<byte> key) => Contains(key) ? Wait(key, default, tombstone: true, 0, WriteCondition.None).Outcome : WriteOutcome.NotFound;

        /// <summary>Deletes a key if <paramref name="condition"/> holds, and waits until that is as durable as the store promises.</summary>
        /// <param name="key">The key.</param>
        /// <param name="condition">What the key's latest write must be (checked atomically with the delete).</param>
        /// <returns><see cref="WriteOutcome.Deleted"/> (with the delete's version), <see cref="WriteOutcome.NotFound"/> or <see cref="WriteOutcome.PreconditionFailed"/>.</returns>
        public WriteResult Delete(ReadOnlySpan<byte> key, WriteCondition condition)
            => condition.Kind == WriteConditionKind.None ? new WriteResult(Delete(key), 0) : Wait(key, default, tombstone: true, 0, condition);

        /// <summary>
        /// The expiry time (Unix seconds) a put with that time to live gets now, so that it lives at least that
        /// long; 0 for none.
        /// </summary>
        /// <param name="timeToLive">At least one second, at most until 2106; null for none.</param>
        /// <returns>The expiry.</returns>
        internal uint ExpiryOf(TimeSpan? timeToLive)
        {
            if (timeToLive is not { } ttl)
            {
                return 0;
            }

            // Rounded up to the next whole second, so the value lives at least as long as asked (expiry is
            // judged in whole seconds: a value expires once the clock's second reaches its expiry).
            long seconds = (long)Math.Ceiling(ttl.TotalSeconds);
            long expires = ExpiryAfter(Options.Clock.GetUtcNow().ToUnixTimeMilliseconds(), seconds);
            return seconds >= 1 && expires < uint.MaxValue
                ? (uint)expires
                : throw new ArgumentOutOfRangeException(nameof(timeToLive), "A time to live is at least one second and ends before 2106.");
        }

        /// <summary>
        /// The expiry (Unix seconds) of a value written at <paramref name="nowUnixMilliseconds"/> to live
        /// <paramref name="seconds"/>: rounded up to the next whole second, so it lives at least that long
        /// (expiry is judged in whole seconds). The remote backends' writes use it too.
        /// </summary>
        internal static long ExpiryAfter(long nowUnixMilliseconds, long seconds) => (nowUnixMilliseconds + (seconds * 1000) + 999) / 1000;

        /// <summary>
        /// Stores a value without waiting: <paramref name="completion"/> hears the outcome, at once or from
        /// a commit round. Never blocks on a sync, so an event loop can call it mid-turn (it syncs, if at all,
        /// only through <see cref="TryCommitQueuedWrites"/> when it has nothing else to do).
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value.</param>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">Passed back to <paramref name="completion"/>.</param>
        /// <param name="expires">When the value expires, in Unix seconds (<see cref="ExpiryOf"/>); 0 if never.</param>
        /// <param name="condition">What the key's latest write must be.</param>
        internal void BeginPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, uint expires, in Precondition condition, IWriteCompletion completion, ulong token)
            => Begin(key, value, tombstone: false, expires, condition, completion, token);

        /// <summary>Stores a value without waiting, with no condition and no expiry (see the full overload).</summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value.</param>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">Passed back to <paramref name="completion"/>.</param>
        internal void BeginPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, IWriteCompletion completion, ulong token)
            => Begin(key, value, tombstone: false, 0, default, completion, token);

        /// <summary>Deletes a key without waiting, with no condition.</summary>
        /// <param name="key">The key.</param>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">Passed back to <paramref name="completion"/>.</param>
        internal void BeginDelete(ReadOnlySpan<byte> key, IWriteCompletion completion, ulong token) => BeginDelete(key, default, completion, token);

        /// <summary>Deletes a key without waiting (see <see cref="BeginPut(ReadOnlySpan{byte}, ReadOnlySpan{byte}, IWriteCompletion, ulong)"/>).</summary>
        /// <param name="key">The key.</param>
        /// <param name="condition">What the key's latest write must be.</param>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">Passed back to <paramref name="completion"/>.</param>
        internal void BeginDelete(ReadOnlySpan<byte> key, in Precondition condition, IWriteCompletion completion, ulong token)
        {
            if (condition.IsNone && !Contains(key))
            {
                completion.OnWriteCompleted(token, WriteOutcome.NotFound, 0);
                return;
            }

            Begin(key, default, tombstone: true, 0, condition, completion, token);
        }

        /// <summary>
        /// The key's latest write, including those still syncing, as a conditional write would judge it now:
        /// whether it exists (unexpired), and its version. For an early answer before a body is read.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="version">Its version, if it exists.</param>
        /// <returns>Whether it exists.</returns>
        internal bool CurrentVersion(ReadOnlySpan<byte> key, out ulong version) => _log.CurrentVersion(key, out version);

        /// <summary>Starts a value that will arrive in chunks; memory stays bounded whatever its size.</summary>
        /// <param name="key">The key.</param>
        /// <param name="expires">When the value expires, in Unix seconds; 0 if never.</param>
        /// <returns>The upload to feed, then complete or abort.</returns>
        internal ValueUpload BeginUpload(ReadOnlySpan<byte> key, uint expires = 0)
        {
            CheckKey(key);
            return _log.BeginUpload(key, expires);
        }

        /// <summary>Merges now, whether or not the dead-byte threshold is crossed.</summary>
        /// <returns>How many segments were merged.</returns>
        public int Compact() => _compactor.CompactNow();

        /// <summary>
        /// Writes are queued that an event loop may commit on its own thread (<see cref="IWriteCompletion.CommitsBeforeSleep"/>):
        /// under <see cref="DurabilityMode.Always"/>, and the commit thread was not woken for them (a waiting writer, a
        /// hand-over or a streamed value wakes it, and it then takes the whole queue).
        /// </summary>
        internal bool HasWritesToCommitHere => _log.HasInlineWork;

        /// <summary>Commit rounds run, empty ones included: an idle store runs none (Always) or one per interval (Batched).</summary>
        internal long CommitRounds => _committer.Rounds;

        /// <summary>The commit rounds that ran on an event loop (<see cref="TryCommitQueuedWrites"/>).</summary>
        internal long CommitRoundsOnLoops => _committer.RoundsHere;

        /// <summary>
        /// For an event loop with nothing else to do: commits the queued writes on the calling thread, so their
        /// completions reach it without a wake-up. False if a round is already under way, or nothing is left for
        /// a loop to take (see <see cref="HasWritesToCommitHere"/>).
        /// </summary>
        /// <returns>Whether a round ran here.</returns>
        internal bool TryCommitQueuedWrites() => _committer.TryCommitHere();

        /// <summary>For an event loop with more to do: the commit thread syncs the queued writes meanwhile.</summary>
        internal void HandOverQueuedWrites() => _committer.HandOver();

        /// <summary>For a simulation (<see cref="StoreSchedule.StartsThreads"/> false): one commit round, as the commit thread runs it.</summary>
        internal void RunCommitRound() => _committer.RunRound(TimeSpan.Zero);

        /// <summary>For a simulation: what the merge thread does when it wakes (merges if due). False if a merge failed.</summary>
        internal bool RunMergeIfDue() => _compactor.RunIfDue();

        /// <summary>Stops writes, makes every acknowledged write durable, and closes the files and the lock.</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _waiters.Dispose();
            _committer.Stop();
            _compactor.Dispose();
            try
            {
                _log.ReleaseActiveReservation();
                if (_log.Failure is null && Options.Durability.Mode != DurabilityMode.Always)
                {
                    // Batched and None promised durability only eventually: closing is that moment.
                    foreach (Segment segment in _catalog.Segments())
                    {
                        segment.SyncData();
                    }

                    _directory.Sync();
                }

                _log.SealAllSynced();
            }
            finally
            {
                _catalog.Dispose();
                _directory.Dispose();
            }
        }

        private static ValueInfo InfoOf(in StoredValue value) => new ValueInfo(value.Length, value.Version, value.Expires);

        private void Begin(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, uint expires, in Precondition condition, IWriteCompletion completion, ulong token)
        {
            CheckKey(key);
            CheckValue(value.Length);
            WriteOutcome? outcome;
            ulong sequence = 0;
            try
            {
                outcome = _log.Append(key, value, tombstone, expires, condition, completion, token, out sequence);
            }
            catch (StorageFullException) when (_log.Failure is null)
            {
                outcome = WriteOutcome.DiskFull;
            }
            catch (Exception e) when (e is System.IO.IOException or ObjectDisposedException)
            {
                outcome = WriteOutcome.Failed;
            }

            if (outcome is { } done)
            {
                completion.OnWriteCompleted(token, done, VersionOf(done, sequence));
            }
        }

        private static ulong VersionOf(WriteOutcome outcome, ulong sequence)
            => outcome is WriteOutcome.Created or WriteOutcome.Replaced or WriteOutcome.Deleted ? sequence : 0;

        private WriteResult Wait(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, uint expires, WriteCondition condition)
        {
            CheckKey(key);
            CheckValue(value.Length);
            WriteWaiter waiter = t_waiter ??= new WriteWaiter();
            waiter.Reset();
            WriteOutcome? outcome;
            ulong sequence;
            try
            {
                outcome = _log.Append(key, value, tombstone, expires, new Precondition(condition), waiter, 0, out sequence);
            }
            catch (StorageFullException full)
            {
                _log.ThrowIfFailedBy(full);
                throw;
            }

            if (outcome is { } done)
            {
                return new WriteResult(done, VersionOf(done, sequence));
            }

            WriteResult result = waiter.Wait();
            if (result.Outcome == WriteOutcome.Failed)
            {
                throw new StorageFailedException(_log.Failure ?? new System.IO.IOException("the write failed"));
            }

            return result;
        }

        private void CheckKey(ReadOnlySpan<byte> key)
        {
            if (key.Length > Options.MaxKeyLength)
            {
                throw new ArgumentException("The key is " + key.Length + " bytes; the most is " + Options.MaxKeyLength + ".", nameof(key));
            }
        }

        private void CheckValue(long length)
        {
            if (length > Options.MaxValueLength)
            {
                throw new ArgumentException("The value is " + length + " bytes; the most is " + Options.MaxValueLength + ".", "value");
            }
        }
    }
}
