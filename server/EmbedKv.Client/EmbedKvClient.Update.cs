using System;
using System.Net;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Client
{
    /// <summary>The read-modify-write loop: read, compute, write if nobody wrote since, and start again if somebody did.</summary>
    public sealed partial class EmbedKvClient
    {
        // Conflicts clear in about one write's time: start the back-off there, and keep it short.
        private static readonly TimeSpan FirstConflictPause = TimeSpan.FromMilliseconds(1);
        private static readonly TimeSpan LongestConflictPause = TimeSpan.FromMilliseconds(200);

        /// <summary>
        /// Replaces a key's value by what <paramref name="update"/> makes of it, with no lost update: the write
        /// carries the version read (<c>If-Match</c>, or <c>If-None-Match: *</c> if the key had no value), and
        /// if another writer came first the whole round starts again after a short, jittered pause, at most
        /// <see cref="EmbedKvClientOptions.UpdateAttempts"/> times. <paramref name="update"/> may run several
        /// times, so it should only compute; an exception from it ends the update and writes nothing.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="update">The new value from the current one (null when the key has none).</param>
        /// <param name="timeToLive">How long the new value lives, or null for a value that does not expire (a write clears any expiry the key had).</param>
        /// <param name="cancellation">Cancels the update; whether its last write happened is then unknown.</param>
        /// <returns>The value written and its version.</returns>
        public Task<KvEntry> UpdateAsync(KvKey key, Func<KvEntry?, ReadOnlyMemory<byte>> update, TimeSpan? timeToLive = null, CancellationToken cancellation = default)
        {
            ArgumentNullException.ThrowIfNull(update);
            return UpdateAsync(key, (current, _) => new ValueTask<ReadOnlyMemory<byte>>(update(current)), timeToLive, cancellation);
        }

        /// <summary>As the other overload, with an update that may itself await (it should still only compute).</summary>
        /// <param name="key">The key.</param>
        /// <param name="update">The new value from the current one (null when the key has none).</param>
        /// <param name="timeToLive">How long the new value lives, or null for a value that does not expire (a write clears any expiry the key had).</param>
        /// <param name="cancellation">Cancels the update; also passed to <paramref name="update"/>.</param>
        /// <returns>The value written and its version.</returns>
        public async Task<KvEntry> UpdateAsync(KvKey key, Func<KvEntry?, CancellationToken, ValueTask<ReadOnlyMemory<byte>>> update, TimeSpan? timeToLive = null, CancellationToken cancellation = default)
        {
            ArgumentNullException.ThrowIfNull(update);
            int attempts = _runner.Options.UpdateAttempts;
            for (int attempt = 0; attempt < attempts; attempt++)
            {
                if (attempt > 0)
                {
                    await Task.Delay(Backoff.Delay(attempt - 1, FirstConflictPause, LongestConflictPause), cancellation).ConfigureAwait(false);
                }

                KvEntry? current = await GetAsync(key, cancellation).ConfigureAwait(false);
                ReadOnlyMemory<byte> next = await update(current, cancellation).ConfigureAwait(false);
                KvCondition condition = current is null ? KvCondition.IfAbsent : KvCondition.IfVersion(current.Version);
                KvWriteResult written = await PutAsync(key, next, condition, timeToLive, cancellation).ConfigureAwait(false);
                if (written.Succeeded)
                {
                    return new KvEntry(key, next.ToArray(), written.Version, written.Expires);
                }
            }

            throw new EmbedKvException("update " + key.ToPath(), HttpStatusCode.PreconditionFailed, "other writers came first " + attempts + " times in a row");
        }
    }
}
