using System;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Client
{
    /// <summary>
    /// A client for one EmbedKv server's HTTP API (docs/api.md, docs/client.md). Thread-safe; hold one per
    /// server, or let IHttpClientFactory hand one out (<c>services.AddEmbedKvClient</c>).
    /// This file: reads, writes and deletes of one key. Partial files: the read-modify-write loop, listing, watching.
    /// </summary>
    public sealed partial class EmbedKvClient
    {
        /// <summary>The most seconds a value may live (the server's limit).</summary>
        public const long MaxTimeToLiveSeconds = 315_360_000;

        private readonly RequestRunner _runner;

        /// <summary>A client over <paramref name="http"/>, which it does not dispose.</summary>
        /// <param name="http">The HttpClient to send with. Its Timeout also bounds long-polls; a factory-made one has none (docs/client.md).</param>
        /// <param name="options">Where the server is and how to try; defaults if null (then <paramref name="http"/> must have a BaseAddress).</param>
        public EmbedKvClient(HttpClient http, EmbedKvClientOptions? options = null)
        {
            ArgumentNullException.ThrowIfNull(http);
            options = options?.Clone() ?? new EmbedKvClientOptions();
            string? wrong = options.Validate();
            if (wrong is not null)
            {
                throw new ArgumentException(wrong, nameof(options));
            }

            _runner = new RequestRunner(http, options);
        }

        /// <summary>Reads a key's value and version.</summary>
        /// <param name="key">The key.</param>
        /// <param name="cancellation">Cancels the read.</param>
        /// <returns>The value, or null if the key has none.</returns>
        public Task<KvEntry?> GetAsync(KvKey key, CancellationToken cancellation = default)
        {
            string path = key.ToPath();
            return _runner.SendAsync("GET " + path, _ => new HttpRequestMessage(HttpMethod.Get, _runner.Address(path)), RequestSafety.Read, async (response, deadline) =>
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK:
                        KvVersion version = ResponseFields.Version("GET " + path, response);
                        byte[] value = await response.Content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
                        return new KvEntry(key, value, version, response.Content.Headers.Expires);
                    case HttpStatusCode.NotFound:
                        return null;
                    default:
                        throw await RequestRunner.RefusalAsync("GET " + path, response, deadline.Token).ConfigureAwait(false);
                }
            }, cancellation);
        }

        /// <summary>Streams a key's value into <paramref name="destination"/>, for values too large to hold in memory.</summary>
        /// <param name="key">The key.</param>
        /// <param name="destination">Where the value's bytes go.</param>
        /// <param name="cancellation">Cancels the read.</param>
        /// <returns>The value's version and length, or null if the key has none (nothing is written then).</returns>
        public Task<KvValueInfo?> GetAsync(KvKey key, Stream destination, CancellationToken cancellation = default)
        {
            ArgumentNullException.ThrowIfNull(destination);
            return ReadIntoAsync(key, destination, range: null, cancellation);
        }

        /// <summary>
        /// Streams part of a key's value into <paramref name="destination"/>: <paramref name="count"/> bytes from
        /// <paramref name="offset"/>, or to the end (a count past the end is cut there). An offset at or past
        /// the end writes nothing.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="offset">The first byte to read.</param>
        /// <param name="count">How many bytes, or null for the rest of the value.</param>
        /// <param name="destination">Where the bytes go.</param>
        /// <param name="cancellation">Cancels the read.</param>
        /// <returns>The whole value's version and length, or null if the key has none.</returns>
        public Task<KvValueInfo?> GetRangeAsync(KvKey key, long offset, long? count, Stream destination, CancellationToken cancellation = default)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(offset);
            if (count is long c)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c, nameof(count));
            }

            ArgumentNullException.ThrowIfNull(destination);
            long? last = count is long n ? offset + Math.Min(n, long.MaxValue - offset) - 1 : null;
            return ReadIntoAsync(key, destination, new RangeHeaderValue(offset, last), cancellation);
        }

        /// <summary>Reads a key's version, length and expiry without its value (HEAD).</summary>
        /// <param name="key">The key.</param>
        /// <param name="cancellation">Cancels the read.</param>
        /// <returns>What the key holds, or null if it has no value.</returns>
        public Task<KvValueInfo?> GetInfoAsync(KvKey key, CancellationToken cancellation = default)
        {
            string path = key.ToPath();
            return _runner.SendAsync("HEAD " + path, _ => new HttpRequestMessage(HttpMethod.Head, _runner.Address(path)), RequestSafety.Read, async (response, deadline) => response.StatusCode switch
            {
                HttpStatusCode.OK => new KvValueInfo(ResponseFields.Version("HEAD " + path, response), ResponseFields.WholeLength(response), response.Content.Headers.Expires),
                HttpStatusCode.NotFound => null,
                _ => throw await HeadRefusalAsync(path, response, deadline.Token).ConfigureAwait(false),
            }, cancellation);
        }

        /// <summary>Writes a key's value, if <paramref name="condition"/> holds.</summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value's bytes.</param>
        /// <param name="condition">What must hold for the write to happen (default: nothing).</param>
        /// <param name="timeToLive">How long the value lives (whole seconds, rounded up), or null for a value that does not expire (a write clears any expiry the key had).</param>
        /// <param name="cancellation">Cancels the write; whether it happened is then unknown.</param>
        /// <returns><see cref="KvWriteStatus.Created"/> or <see cref="KvWriteStatus.Replaced"/> with the new version, or <see cref="KvWriteStatus.PreconditionFailed"/>.</returns>
        public Task<KvWriteResult> PutAsync(KvKey key, ReadOnlyMemory<byte> value, KvCondition condition = default, TimeSpan? timeToLive = null, CancellationToken cancellation = default)
            => WriteAsync(key, _ => new ReadOnlyMemoryContent(value), condition.IsConditional ? RequestSafety.Conditional : RequestSafety.Unsafe, condition, timeToLive, cancellation);

        /// <summary>Writes a key's value as UTF-8 text, if <paramref name="condition"/> holds.</summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value.</param>
        /// <param name="condition">What must hold for the write to happen (default: nothing).</param>
        /// <param name="timeToLive">How long the value lives, or null for a value that does not expire.</param>
        /// <param name="cancellation">Cancels the write; whether it happened is then unknown.</param>
        /// <returns>How the write ended, with the new version.</returns>
        public Task<KvWriteResult> PutAsync(KvKey key, string value, KvCondition condition = default, TimeSpan? timeToLive = null, CancellationToken cancellation = default)
        {
            ArgumentNullException.ThrowIfNull(value);
            return PutAsync(key, Encoding.UTF8.GetBytes(value), condition, timeToLive, cancellation);
        }

        /// <summary>
        /// Streams a key's value from <paramref name="value"/> to its end, if <paramref name="condition"/> holds.
        /// The stream is read once, and sent again after a transient failure only if it can seek.
        /// </summary>
        /// <param name="key">The key.</param>
        /// <param name="value">The value's bytes, from the stream's position to its end.</param>
        /// <param name="condition">What must hold for the write to happen (default: nothing).</param>
        /// <param name="timeToLive">How long the value lives, or null for a value that does not expire.</param>
        /// <param name="cancellation">Cancels the write; whether it happened is then unknown.</param>
        /// <returns>How the write ended, with the new version.</returns>
        public Task<KvWriteResult> PutAsync(KvKey key, Stream value, KvCondition condition = default, TimeSpan? timeToLive = null, CancellationToken cancellation = default)
        {
            ArgumentNullException.ThrowIfNull(value);
            long start = value.CanSeek ? value.Position : 0;
            RequestSafety safety = condition.IsConditional && value.CanSeek ? RequestSafety.Conditional : RequestSafety.Unsafe;
            return WriteAsync(key, deadline =>
            {
                var content = new StreamContent(new UnownedStream(value, deadline));
                if (value.CanSeek)
                {
                    // Sent with its length rather than chunked: a value over the server's limit is refused before it is sent.
                    value.Position = start;
                    content.Headers.ContentLength = value.Length - start;
                }

                return content;
            }, safety, condition, timeToLive, cancellation);
        }

        /// <summary>Deletes a key's value, if <paramref name="condition"/> holds.</summary>
        /// <param name="key">The key.</param>
        /// <param name="condition">What must hold for the delete to happen (default: nothing).</param>
        /// <param name="cancellation">Cancels the delete; whether it happened is then unknown.</param>
        /// <returns><see cref="KvWriteStatus.Deleted"/>, <see cref="KvWriteStatus.NotFound"/> or <see cref="KvWriteStatus.PreconditionFailed"/>.</returns>
        public Task<KvWriteResult> DeleteAsync(KvKey key, KvCondition condition = default, CancellationToken cancellation = default)
        {
            string path = key.ToPath();
            string operation = "DELETE " + path;
            return _runner.SendAsync(operation, _ =>
            {
                var request = new HttpRequestMessage(HttpMethod.Delete, _runner.Address(path));
                condition.AddTo(request.Headers);
                return request;
            }, condition.IsConditional ? RequestSafety.Conditional : RequestSafety.Unsafe, async (response, deadline) => response.StatusCode switch
            {
                HttpStatusCode.NoContent => new KvWriteResult(KvWriteStatus.Deleted, KvVersion.Absent),
                HttpStatusCode.NotFound => new KvWriteResult(KvWriteStatus.NotFound, KvVersion.Absent),
                HttpStatusCode.PreconditionFailed => new KvWriteResult(KvWriteStatus.PreconditionFailed, KvVersion.Absent),
                _ => throw await RequestRunner.RefusalAsync(operation, response, deadline.Token).ConfigureAwait(false),
            }, cancellation);
        }

        private Task<KvWriteResult> WriteAsync(KvKey key, Func<Deadline, HttpContent> content, RequestSafety safety, KvCondition condition, TimeSpan? timeToLive, CancellationToken cancellation)
        {
            string path = key.ToPath() + TimeToLiveQuery(timeToLive);
            string operation = "PUT " + path;
            return _runner.SendAsync(operation, deadline =>
            {
                var request = new HttpRequestMessage(HttpMethod.Put, _runner.Address(path)) { Content = content(deadline) };
                request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
                condition.AddTo(request.Headers);
                return request;
            }, safety, async (response, deadline) => response.StatusCode switch
            {
                HttpStatusCode.Created => new KvWriteResult(KvWriteStatus.Created, ResponseFields.Version(operation, response), response.Content.Headers.Expires),
                HttpStatusCode.NoContent => new KvWriteResult(KvWriteStatus.Replaced, ResponseFields.Version(operation, response), response.Content.Headers.Expires),
                HttpStatusCode.PreconditionFailed => new KvWriteResult(KvWriteStatus.PreconditionFailed, KvVersion.Absent),
                _ => throw await RequestRunner.RefusalAsync(operation, response, deadline.Token).ConfigureAwait(false),
            }, cancellation);
        }

        private Task<KvValueInfo?> ReadIntoAsync(KvKey key, Stream destination, RangeHeaderValue? range, CancellationToken cancellation)
        {
            string path = key.ToPath();
            string operation = "GET " + path;
            return _runner.SendAsync(operation, _ =>
            {
                var request = new HttpRequestMessage(HttpMethod.Get, _runner.Address(path));
                request.Headers.Range = range;
                return request;
            }, RequestSafety.Read, async (response, deadline) =>
            {
                switch (response.StatusCode)
                {
                    case HttpStatusCode.OK or HttpStatusCode.PartialContent:
                        var info = new KvValueInfo(ResponseFields.Version(operation, response), ResponseFields.WholeLength(response), response.Content.Headers.Expires);
                        if (range is not null && response.StatusCode == HttpStatusCode.OK)
                        {
                            // A server may ignore Range (RFC 9110 §14.2): take the asked part out of the whole value.
                            RangeItemHeaderValue asked = System.Linq.Enumerable.First(range.Ranges);
                            await ResponseFields.CopyWindowAsync(response, asked.From ?? 0, asked.To, destination, deadline).ConfigureAwait(false);
                            return info;
                        }

                        await ResponseFields.CopyWindowAsync(response, 0, null, destination, deadline).ConfigureAwait(false);
                        return info;
                    case HttpStatusCode.NotFound:
                        return null;
                    case HttpStatusCode.RequestedRangeNotSatisfiable when range is not null:
                        // The offset is at or past the end: no bytes, and the answer names no version, so ask for it.
                        return await GetInfoAsync(key, deadline.Token).ConfigureAwait(false);
                    default:
                        throw await RequestRunner.RefusalAsync(operation, response, deadline.Token).ConfigureAwait(false);
                }
            }, cancellation);
        }

        /// <summary>A HEAD's refusal has no body to give the server's reason: a GET of the key, refused the same way, has it.</summary>
        private async Task<EmbedKvException> HeadRefusalAsync(string path, HttpResponseMessage head, CancellationToken cancellation)
        {
            string operation = "HEAD " + path;
            try
            {
                EmbedKvException? refusal = await _runner.SendAsync(operation, _ => new HttpRequestMessage(HttpMethod.Get, _runner.Address(path)) { Headers = { Range = new RangeHeaderValue(0, 0) } }, RequestSafety.Unsafe, async (response, deadline) =>
                    response.StatusCode == head.StatusCode ? await RequestRunner.RefusalAsync(operation, response, deadline.Token).ConfigureAwait(false) : null, cancellation).ConfigureAwait(false);
                if (refusal is not null)
                {
                    return refusal;
                }
            }
            catch (EmbedKvException)
            {
                // The reason is a courtesy: the HEAD's own status is the answer.
            }

            return new EmbedKvException(operation, head.StatusCode, head.ReasonPhrase ?? "no reason given");
        }

        private static string TimeToLiveQuery(TimeSpan? timeToLive)
        {
            if (timeToLive is not TimeSpan ttl)
            {
                return string.Empty;
            }

            double seconds = Math.Ceiling(ttl.TotalSeconds);
            if (seconds < 1 || seconds > MaxTimeToLiveSeconds)
            {
                throw new ArgumentOutOfRangeException(nameof(timeToLive), ttl, "a time to live is from 1 second to ten years");
            }

            return "?ttl=" + ((long)seconds).ToString(CultureInfo.InvariantCulture);
        }
    }
}
