using System;
using System.Collections.Generic;
using System.Globalization;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Client
{
    /// <summary>Watching a key: the server's long-poll (<c>Prefer: wait</c>), armed again after every answer and every outage.</summary>
    public sealed partial class EmbedKvClient
    {
        // Room over the server's wait for the answer to arrive, so the client's deadline never cuts a wait the server ends on time.
        private static readonly TimeSpan WaitSlack = TimeSpan.FromSeconds(10);

        // An unchanged answer sooner than this did not wait (the shortest wait the client asks for is a second).
        private static readonly TimeSpan MinimumWait = TimeSpan.FromMilliseconds(500);

        /// <summary>
        /// The key's versions as they change: first the version it has now (unless <paramref name="since"/> is
        /// given), then each new one, <see cref="KvVersion.Absent"/> when its value is deleted or expires. It
        /// waits on the server without holding a thread, and goes on across server restarts and outages,
        /// trying again with a jittered back-off up to <see cref="EmbedKvClientOptions.MaxRetryDelay"/>, until
        /// cancelled. Versions written and replaced between two waits are not seen: a watch reports where the
        /// key is, not every step (docs/client.md). Refusals (401, 403) end it with an <see cref="EmbedKvException"/>.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="since">The version the caller has; the first one reported is then the next.</param>
        /// <param name="cancellation">Ends the watch.</param>
        /// <returns>The versions.</returns>
        public async IAsyncEnumerable<KvVersion> WatchAsync(KvKey key, KvVersion? since = null, [EnumeratorCancellation] CancellationToken cancellation = default)
        {
            KvVersion known;
            if (since is KvVersion given)
            {
                known = given;
            }
            else
            {
                known = await CurrentVersionAsync(key, cancellation).ConfigureAwait(false);
                yield return known;
            }

            int outages = 0;
            int early = 0;
            while (true)
            {
                KvVersion now;
                long started = Environment.TickCount64;
                try
                {
                    now = await WaitForChangeAsync(key, known, cancellation).ConfigureAwait(false);
                    outages = 0;
                }
                catch (EmbedKvException e) when (IsOutage(e) && !cancellation.IsCancellationRequested)
                {
                    await Task.Delay(Backoff.Delay(outages++, _runner.Options.RetryDelay, _runner.Options.MaxRetryDelay), cancellation).ConfigureAwait(false);
                    continue;
                }

                if (now != known)
                {
                    early = 0;
                    known = now;
                    yield return now;
                }
                else if (Environment.TickCount64 - started < MinimumWait.TotalMilliseconds)
                {
                    // Unchanged, and answered without waiting: a proxy that drops Prefer, a server that does not
                    // wait, or (rarely) another key of the same hash. Asking again at once would spin.
                    await Task.Delay(Backoff.Delay(early++, _runner.Options.RetryDelay, _runner.Options.MaxRetryDelay), cancellation).ConfigureAwait(false);
                }
                else
                {
                    early = 0;
                }
            }
        }

        // No answer, or the server (or a proxy before it) unavailable: the server may be restarting, so the watch waits it out.
        private static bool IsOutage(EmbedKvException e)
            => e.StatusCode is null or HttpStatusCode.ServiceUnavailable or HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout;

        private async Task<KvVersion> CurrentVersionAsync(KvKey key, CancellationToken cancellation)
        {
            for (int outages = 0; ; outages++)
            {
                try
                {
                    KvValueInfo? info = await GetInfoAsync(key, cancellation).ConfigureAwait(false);
                    return info?.Version ?? KvVersion.Absent;
                }
                catch (EmbedKvException e) when (IsOutage(e) && !cancellation.IsCancellationRequested)
                {
                    await Task.Delay(Backoff.Delay(outages, _runner.Options.RetryDelay, _runner.Options.MaxRetryDelay), cancellation).ConfigureAwait(false);
                }
            }
        }

        /// <summary>
        /// One long-poll: a GET the server holds while the key is still at <paramref name="known"/> (304 for a
        /// version it names in If-None-Match, 404 for no value), answered when the key changes or the wait ends;
        /// a key at a version that is gone answers 412 at once (If-Match: *).
        /// It asks for the first byte only (Range), so a change costs one byte of the value, not all of it.
        /// </summary>
        private Task<KvVersion> WaitForChangeAsync(KvKey key, KvVersion known, CancellationToken cancellation)
        {
            TimeSpan wait = _runner.Options.WatchWait;
            TimeSpan clientTimeout = _runner.ClientTimeout;
            if (clientTimeout != Timeout.InfiniteTimeSpan && wait > clientTimeout - WaitSlack)
            {
                // The HttpClient would cut the wait itself, and the watch would never get an answer.
                wait = clientTimeout - WaitSlack > TimeSpan.FromSeconds(1) ? clientTimeout - WaitSlack : TimeSpan.FromSeconds(1);
            }

            string path = key.ToPath();
            string operation = "GET " + path + " (watch)";
            string preference = "wait=" + ((long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return _runner.SendAsync(operation, _ =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, _runner.Address(path));
                request.Headers.TryAddWithoutValidation("Prefer", preference);
                request.Headers.Range = new RangeHeaderValue(0, 0);
                if (!known.IsAbsent)
                {
                    // If-Match: * as well, so a key deleted before this wait answers 412 at once instead of
                    // waiting, as a 404 would, for the key to come back.
                    request.Headers.IfMatch.Add(EntityTagHeaderValue.Any);
                    request.Headers.IfNoneMatch.Add(new EntityTagHeaderValue(known.ToETag()));
                }

                return request;
            }, RequestSafety.Read, async (response, deadline) =>
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.NotModified:
                        return known; // the wait ended with no change (or a change of another key of the same hash)
                    case HttpStatusCode.NotFound:
                        return KvVersion.Absent;
                    case HttpStatusCode.PreconditionFailed when !known.IsAbsent:
                        return KvVersion.Absent; // If-Match: * failed: the key has no value
                    case HttpStatusCode.OK or HttpStatusCode.PartialContent:
                        return ResponseFields.Version(operation, response);
                    case HttpStatusCode.RequestedRangeNotSatisfiable:
                        // An empty value has no first byte, and this answer names no version: ask for it.
                        KvValueInfo? info = await GetInfoAsync(key, deadline.Token).ConfigureAwait(false);
                        return info?.Version ?? KvVersion.Absent;
                    default:
                        throw await RequestRunner.RefusalAsync(operation, response, deadline.Token).ConfigureAwait(false);
                }
            }, cancellation, wait + WaitSlack);
        }
    }
}
