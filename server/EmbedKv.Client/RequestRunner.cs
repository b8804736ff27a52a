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
    /// Sends one request of the API: the token, a deadline over the whole exchange, and tries again after a
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
        /// <paramref name="read"/> within the same deadline. A 503 the request may be retried after, and a
        /// transport failure, are tried again; everything else reaches <paramref name="read"/>.
        /// </summary>
        public async Task<T> SendAsync<T>(
            string operation,
            Func<HttpRequestMessage> build,
            RequestSafety safety,
            Func<HttpResponseMessage, CancellationToken, Task<T>> read,
            CancellationToken cancellation,
            TimeSpan? timeout = null)
        {
            TimeSpan limit = timeout ?? _options.RequestTimeout;
            for (int attempt = 0; ; attempt++)
            {
                bool mayRetry = safety != RequestSafety.Unsafe && attempt < _options.RetryAttempts;
                TimeSpan? retryAfter = null;
                using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
                {
                    deadline.CancelAfter(limit);
                    HttpResponseMessage? response = null;
                    try
                    {
                        using HttpRequestMessage request = build();
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
                            throw new EmbedKvException(operation, null, "no answer within " + limit.TotalSeconds + " s", new TimeoutException(e.Message, e));
                        }
                    }

                    if (response is not null)
                    {
                        using (response)
                        {
                            if (response.StatusCode != HttpStatusCode.ServiceUnavailable || !mayRetry)
                            {
                                return await ReadAsync(operation, response, read, limit, deadline.Token, cancellation).ConfigureAwait(false);
                            }

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
                byte[] body = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
                reason = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, ReasonLimit));
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
            Func<HttpResponseMessage, CancellationToken, Task<T>> read,
            TimeSpan limit,
            CancellationToken deadline,
            CancellationToken cancellation)
        {
            try
            {
                return await read(response, deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellation.IsCancellationRequested)
            {
                throw new EmbedKvException(operation, null, "the answer did not arrive within " + limit.TotalSeconds + " s", new TimeoutException(e.Message, e));
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // Part of the answer may have gone to the caller's stream already: not tried again.
                throw new EmbedKvException(operation, response.StatusCode, "the answer was cut short: " + e.Message, e);
            }
        }

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
