using System;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Storage.Index;
using EmbedKv.Server.Storage.Watch;

namespace EmbedKv.Server.Storage
{
    /// <summary>The store's waits for a key to change (docs/storage.md, "Watching keys").</summary>
    public sealed partial class KvStore
    {
        /// <summary>
        /// Waits until <paramref name="key"/> is no longer at <paramref name="version"/>: written, deleted or
        /// expired, by a writer on any thread or any event loop of a server on this store. Completes at once
        /// if it differs already, and with false if <paramref name="timeout"/> passes first. The usual loop:
        /// read with <see cref="TryGetInfo"/>, act, then wait from the version read. A wait costs no thread;
        /// its awaiter resumes on the thread pool. No heap allocation per call in steady state, except a
        /// registration with a token that can be cancelled.
        /// </summary>
        /// <param name="key">The key (copied in only to look it up; the wait keeps its hash).</param>
        /// <param name="version">The version the caller knows (<see cref="ValueInfo.Version"/>), or 0 for absent.</param>
        /// <param name="timeout">How long to wait at most; <see cref="Timeout.InfiniteTimeSpan"/> for no limit.</param>
        /// <param name="cancellation">Ends the wait with <see cref="OperationCanceledException"/>.</param>
        /// <returns>True if the key changed; false if the timeout passed with the key unchanged.</returns>
        /// <exception cref="ObjectDisposedException">The store was closed (also ends waits under way).</exception>
        public ValueTask<bool> WaitForChangeAsync(ReadOnlySpan<byte> key, ulong version, TimeSpan timeout, CancellationToken cancellation = default)
        {
            if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout is negative.");
            }

            if (cancellation.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<bool>(cancellation);
            }

            CheckKey(key);
            if (VersionNow(key, out _) != version)
            {
                return new ValueTask<bool>(true);
            }

            if (timeout == TimeSpan.Zero)
            {
                return new ValueTask<bool>(false);
            }

            // Watched before it is looked at again, so a change between the two is not missed; the second look
            // tells which reported changes it saw already (at or below the sequence applied then).
            Options.Schedule.Point("wait.watching");
            KeyWait wait = _waiters.Begin(WatchHash.Of(key), timeout);
            try
            {
                if (VersionNow(key, out uint expires, out ulong applied) != version)
                {
                    _waiters.End(wait, changed: true);
                }
                else
                {
                    _waiters.Arm(wait, expires, applied, cancellation);
                }
            }
            catch
            {
                _waiters.End(wait, changed: false);
                throw;
            }

            return wait.Task;
        }

        /// <summary>The change feed the event loops' long-polls listen to.</summary>
        internal KeyChangeFeed Changes => _catalog.Changes;

        /// <summary>In-process waits under way (read by tests).</summary>
        internal int WaitsUnderWay => _waiters.Count;

        /// <summary>
        /// The key's version as readers see it now (0 if absent or expired), and when that value expires (0 if
        /// never). Unlike <see cref="CurrentVersion"/>, a write not yet visible does not count.
        /// </summary>
        internal ulong VersionNow(ReadOnlySpan<byte> key, out uint expires) => VersionNow(key, out expires, out _);

        /// <summary>As <see cref="VersionNow(ReadOnlySpan{byte}, out uint)"/>, with the sequence of the last write applied when it looked.</summary>
        internal ulong VersionNow(ReadOnlySpan<byte> key, out uint expires, out ulong applied)
        {
            if (_catalog.TryGetLocation(key, out RecordLocation location, out applied) && !location.Tombstone && !location.ExpiredAt(NowUnixSeconds))
            {
                expires = location.Expires;
                return location.Sequence;
            }

            expires = 0;
            return 0;
        }
    }
}
