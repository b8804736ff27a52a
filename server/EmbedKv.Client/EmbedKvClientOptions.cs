using System;
using System.Threading;

namespace EmbedKv.Client
{
    /// <summary>Where the server is, how to authenticate, and how long and how often to try (docs/client.md).</summary>
    public sealed class EmbedKvClientOptions
    {
        /// <summary>
        /// The server's address (<c>http://127.0.0.1:8080/</c>); a path is kept as a prefix for proxies that
        /// serve EmbedKv under one. If null, the HttpClient's own BaseAddress is used.
        /// </summary>
        public Uri? BaseAddress { get; set; }

        /// <summary>A bearer token sent with every request (docs/security.md), or null for none.</summary>
        public string? Token { get; set; }

        /// <summary>How long one request may take, body included, before it fails (default 30 s).</summary>
        public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>
        /// How long one long-poll of a watch waits on the server before it is sent again (default 60 s; the
        /// server takes at most 300 s). Kept under the HttpClient's own Timeout when that is finite.
        /// </summary>
        public TimeSpan WatchWait { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>
        /// How many times a read or a conditional write is tried again after a transient failure (the server
        /// unreachable, or 503) before it fails (default 3). Unconditional writes are never tried again.
        /// </summary>
        public int RetryAttempts { get; set; } = 3;

        /// <summary>The first pause before trying again (default 100 ms); it doubles, with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
        public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(100);

        /// <summary>The longest pause before trying again, also the most a server's Retry-After is honoured for (default 5 s).</summary>
        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(5);

        /// <summary>How many read-modify-write rounds an update may take before it gives up (default 100).</summary>
        public int UpdateAttempts { get; set; } = 100;

        /// <summary>Keys per listing request (default 1000; the server takes 1 to 10000).</summary>
        public int ListPageSize { get; set; } = 1000;

        // What a timer takes (int.MaxValue milliseconds), rounded down.
        private static readonly TimeSpan Longest = TimeSpan.FromDays(24);

        /// <summary>The first thing wrong with these options, or null if they are usable.</summary>
        public string? Validate()
        {
            if (BaseAddress is not null && (!BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps)))
            {
                return "BaseAddress must be an absolute http or https address, not " + BaseAddress;
            }

            if (Token is not null && !IsToken68(Token))
            {
                return "Token must be a bearer token: letters, digits and - . _ ~ + / then any = (RFC 6750 §2.1)";
            }

            if ((RequestTimeout <= TimeSpan.Zero || RequestTimeout > Longest) && RequestTimeout != Timeout.InfiniteTimeSpan)
            {
                return "RequestTimeout must be positive and at most 24 days, or Timeout.InfiniteTimeSpan for none";
            }

            if (WatchWait < TimeSpan.FromSeconds(1) || WatchWait > TimeSpan.FromSeconds(300))
            {
                return "WatchWait must be from 1 to 300 seconds";
            }

            if (RetryAttempts < 0 || UpdateAttempts < 1)
            {
                return "RetryAttempts must not be negative, and UpdateAttempts must be at least 1";
            }

            if (RetryDelay <= TimeSpan.Zero || MaxRetryDelay < RetryDelay || MaxRetryDelay > Longest)
            {
                return "RetryDelay must be positive, and MaxRetryDelay at least RetryDelay and at most 24 days";
            }

            return ListPageSize is < 1 or > 10_000 ? "ListPageSize must be from 1 to 10000" : null;
        }

        /// <summary>A copy, so that changes to these options after a client was made do not reach it unchecked.</summary>
        internal EmbedKvClientOptions Clone() => (EmbedKvClientOptions)MemberwiseClone();

        private static bool IsToken68(string token)
        {
            int end = token.Length;
            while (end > 0 && token[end - 1] == '=')
            {
                end--;
            }

            if (end == 0)
            {
                return false;
            }

            for (int i = 0; i < end; i++)
            {
                char c = token[i];
                if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '+' or '/'))
                {
                    return false;
                }
            }

            return true;
        }
    }
}
