using System;
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
    /// Sends one request of the API: the token, a deadline on each try's progress, and tries again after a
    /// transient failure where the request is safe to send twice (<see cref="RequestSafety"/>), honouring a
    /// 503's Retry-After. Written here rather than taken from a resilience package because whether a retry is
    /// safe depends on the operation and its condition, which only the caller knows.
    /// </summary>
    internal sealed class RequestRunner
    {
        private const int ReasonLimit = 512;

        private readonly HttpClient _http;
        private readonly EmbedKvClientOptions _options;
        private readonly string _base;

        public RequestRunner(HttpClient http, EmbedKvClientOptions options)
        {
            _http = http;
            _options = options;
            Uri address = options.BaseAddress ?? http.BaseAddress
                ?? throw new ArgumentException("no BaseAddress: set EmbedKvClientOptions.BaseAddress or the HttpClient's", nameof(http));
            _base = address.GetLeftPart(UriPartial.Path).TrimEnd('/');
        }

        public EmbedKvClientOptions Options => _options;

        /// <summary>The HttpClient's own timeout, which cuts every request it sends, long-polls included.</summary>
        public TimeSpan ClientTimeout => _http.Timeout;

        /// <summary>The absolute address of a path and query, sent exactly as built: no dot segments resolved, no escapes undone.</summary>
        public Uri Address(string pathAndQuery)
            => new Uri(_base + pathAndQuery, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });

        /// <summary>
        /// Sends the request <paramref name="build"/> makes (once per try) and hands the answer to
        /// <paramref name="read"/> under the same <see cref="Deadline"/>. A transport failure or a 502, 503 or
        /// 504 is tried again where <paramref name="safety"/> allows; everything else reaches <paramref name="read"/>.
        /// Each try has its own deadline, so a call may take as long as all its tries and pauses together.
        /// </summary>
        public async Task<T> SendAsync<T>(
            string operation,
            Func<Deadline, HttpRequestMessage> build,
            RequestSafety safety,
            Func<HttpResponseMessage, Deadline, Task<T>> read,
            CancellationToken cancellation,
            TimeSpan? timeout = null)
        {
            TimeSpan limit = timeout ?? _options.RequestTimeout;
            bool anEarlierTryMayHaveActed = false;
            for (int attempt = 0; ; attempt++)
            {
                bool mayRetry = safety != RequestSafety.Unsafe && attempt < _options.RetryAttempts;
                TimeSpan? retryAfter = null;
                using (var deadline = new Deadline(limit, cancellation))
                {
                    HttpResponseMessage? response = null;
                    try
                    {
                        using HttpRequestMessage request = build(deadline);
                        if (_options.Token is not null)
                        {
                            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
                        }

                        response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token).ConfigureAwait(false);
                    }
                    catch (HttpRequestException e) when (mayRetry && (safety == RequestSafety.Read || NeverReachedTheServer(e)))
                    {
                        // Tried again below.
                    }
                    catch (HttpRequestException e)
                    {
                        throw new EmbedKvException(operation, null, Describe(e), e);
                    }
                    catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
                    {
                        if (!mayRetry || safety != RequestSafety.Read)
                        {
                            throw new EmbedKvException(operation, null, TimedOut(deadline.Limit), new TimeoutException(e.Message, e));
                        }
                    }

                    if (response is not null)
                    {
                        using (response)
                        {
                            if (!mayRetry || !IsTransient(response.StatusCode, safety))
                            {
                                if (anEarlierTryMayHaveActed && response.StatusCode == HttpStatusCode.PreconditionFailed)
                                {
                                    // The 503 may have come from something on the way after the server wrote (a proxy
                                    // whose upstream reset): this 412 may be the write's own doing. Saying
                                    // "precondition failed" could be false, and an update would apply twice.
                                    throw new EmbedKvException(operation, null, "unknown whether the write happened: an earlier try was answered 503, and the condition no longer holds");
                                }

                                return await ReadAsync(operation, response, read, deadline, cancellation).ConfigureAwait(false);
                            }

                            anEarlierTryMayHaveActed = true;
                            retryAfter = RetryAfter(response);
                        }
                    }
                }

                TimeSpan pause = Backoff.Delay(attempt, _options.RetryDelay, _options.MaxRetryDelay);
                if (retryAfter is TimeSpan asked)
                {
                    pause = asked < _options.MaxRetryDelay ? asked : _options.MaxRetryDelay;
                }

                await Task.Delay(pause, cancellation).ConfigureAwait(false);
            }
        }

        /// <summary>The exception for an answer the operation has no meaning for: its status and the server's one-line reason.</summary>
        public static async Task<EmbedKvException> RefusalAsync(string operation, HttpResponseMessage response, CancellationToken cancellation)
        {
            string reason = string.Empty;
            try
            {
                // The first line only, read no further than the limit: a refusal's body could be anything on the way.
                byte[] start = new byte[ReasonLimit];
                int length = 0;
                using (Stream body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false))
                {
                    int read;
                    while (length < start.Length && (read = await body.ReadAsync(start.AsMemory(length), cancellation).ConfigureAwait(false)) > 0)
                    {
                        length += read;
                    }
                }

                reason = Encoding.UTF8.GetString(start, 0, length);
                int end = reason.IndexOfAny(['\r', '\n']);
                reason = (end >= 0 ? reason[..end] : reason).Trim();
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // The status is the answer; a reason lost on the way is not worth a second error.
            }

            return new EmbedKvException(operation, response.StatusCode, reason.Length > 0 ? reason : response.ReasonPhrase ?? "no reason given");
        }

        private static async Task<T> ReadAsync<T>(
            string operation,
            HttpResponseMessage response,
            Func<HttpResponseMessage, Deadline, Task<T>> read,
            Deadline deadline,
            CancellationToken cancellation)
        {
            try
            {
                return await read(response, deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
            {
                throw new EmbedKvException(operation, null, "the answer stalled for " + deadline.Limit.TotalSeconds + " s", new TimeoutException(e.Message, e));
            }
            catch (Exception e) when (e is HttpRequestException or HttpIOException)
            {
                // Part of the answer may have gone to the caller's stream already: not tried again. (A failure of
                // the caller's own stream is some other IOException, and reaches the caller as it is.)
                throw new EmbedKvException(operation, response.StatusCode, "the answer was cut short: " + e.Message, e);
            }
        }

        // Reads may be sent again after any of these; a conditional write only after a 503 (a 502 or 504 says
        // the request went on to the server, which may have acted on it).
        private static bool IsTransient(HttpStatusCode status, RequestSafety safety)
            => status == HttpStatusCode.ServiceUnavailable
            || (safety == RequestSafety.Read && status is HttpStatusCode.BadGateway or HttpStatusCode.GatewayTimeout);

        private string TimedOut(TimeSpan limit)
            => _http.Timeout < limit ? "no answer within the HttpClient's Timeout of " + _http.Timeout.TotalSeconds + " s" : "no answer within " + limit.TotalSeconds + " s";

        // SocketsHttpHandler says ConnectionError when no connection could be made: nothing was sent.
        private static bool NeverReachedTheServer(HttpRequestException e) => e.HttpRequestError == HttpRequestError.ConnectionError;

        private static string Describe(HttpRequestException e)
            => e.HttpRequestError == HttpRequestError.ConnectionError ? "the server could not be reached: " + e.Message : e.Message;

        private static TimeSpan? RetryAfter(HttpResponseMessage response)
        {
            RetryConditionHeaderValue? retry = response.Headers.RetryAfter;
            if (retry?.Delta is TimeSpan delta)
            {
                return delta;
            }

            if (retry?.Date is DateTimeOffset date)
            {
                TimeSpan until = date - DateTimeOffset.UtcNow;
                return until > TimeSpan.Zero ? until : TimeSpan.Zero;
            }

            return null;
        }
    }
}
