using System;
using System.Threading;
using EmbedKv.Server.Storage.Compaction;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Recovery;
using EmbedKv.Server.Storage.Segments;
using EmbedKv.Server.Storage.Writes;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// A durable key-value store on an append-only log (docs/storage.md). Thread-safe. Writes are
    /// acknowledged as <see cref="StoreOptions.Durability"/> promises; reads see acknowledged writes.
    /// </summary>
    public sealed class KvStore : IDisposable
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

        /// <summary>Live keys.</summary>
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
            return Open(options, NativeStorageDirectory.Open(options.DataDirectory));
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
        internal bool TryGet(ReadOnlySpan<byte> key, out StoredValue value) => _catalog.TryAcquire(key, out value);

        /// <summary>Whether a key exists.</summary>
        /// <param name="key">The key.</param>
        /// <returns>True if it does.</returns>
        public bool Contains(ReadOnlySpan<byte> key) => _catalog.Contains(key);

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
        public byte[]? Get(ReadOnlySpan<byte> key)
        {
            if (!TryGet(key, out StoredValue value))
            {
                return null;
            }

            try
            {
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

        /// <summary>Stores a value and waits until it is as durable as the store promises.</summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value.</param>
        /// <returns><see cref="WriteOutcome.Created"/> or <see cref="WriteOutcome.Replaced"/>.</returns>
        public WriteOutcome Put(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value) => Wait(key, value, tombstone: false);

        /// <summary>Deletes a key and waits until that is as durable as the store promises.</summary>
        /// <param name="key">The key.</param>
        /// <returns><see cref="WriteOutcome.Deleted"/> or <see cref="WriteOutcome.NotFound"/>.</returns>
        public WriteOutcome Delete(ReadOnlySpan<byte> key) => Contains(key) ? Wait(key, default, tombstone: true) : WriteOutcome.NotFound;

        /// <summary>
        /// Stores a value without waiting: <paramref name="completion"/> hears the outcome, at once or from
        /// the commit thread. Never blocks on a sync, so an event loop can call it.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value.</param>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">Passed back to <paramref name="completion"/>.</param>
        internal void BeginPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, IWriteCompletion completion, ulong token)
            => Begin(key, value, tombstone: false, completion, token);

        /// <summary>Deletes a key without waiting (see <see cref="BeginPut"/>).</summary>
        /// <param name="key">The key.</param>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">Passed back to <paramref name="completion"/>.</param>
        internal void BeginDelete(ReadOnlySpan<byte> key, IWriteCompletion completion, ulong token)
        {
            if (!Contains(key))
            {
                completion.OnWriteCompleted(token, WriteOutcome.NotFound);
                return;
            }

            Begin(key, default, tombstone: true, completion, token);
        }

        /// <summary>Starts a value that will arrive in chunks; memory stays bounded whatever its size.</summary>
        /// <param name="key">The key.</param>
        /// <returns>The upload to feed, then complete or abort.</returns>
        internal ValueUpload BeginUpload(ReadOnlySpan<byte> key)
        {
            CheckKey(key);
            return _log.BeginUpload(key);
        }

        /// <summary>Merges now, whether or not the dead-byte threshold is crossed.</summary>
        /// <returns>How many segments were merged.</returns>
        public int Compact() => _compactor.CompactNow();

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

        private void Begin(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone, IWriteCompletion completion, ulong token)
        {
            CheckKey(key);
            CheckValue(value.Length);
            WriteOutcome? outcome;
            try
            {
                outcome = _log.Append(key, value, tombstone, completion, token);
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
                completion.OnWriteCompleted(token, done);
            }
        }

        private WriteOutcome Wait(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool tombstone)
        {
            CheckKey(key);
            CheckValue(value.Length);
            WriteWaiter waiter = t_waiter ??= new WriteWaiter();
            waiter.Reset();
            WriteOutcome? outcome;
            try
            {
                outcome = _log.Append(key, value, tombstone, waiter, 0);
            }
            catch (StorageFullException full)
            {
                _log.ThrowIfFailedBy(full);
                throw;
            }

            if (outcome is { } done)
            {
                return done;
            }

            WriteOutcome result = waiter.Wait();
            if (result == WriteOutcome.Failed)
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
