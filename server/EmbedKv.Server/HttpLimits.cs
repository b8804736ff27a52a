using System;

namespace EmbedKv.Server
{
    /// <summary>The limits a request is held to; each breach has its own status (docs/server.md lists them).</summary>
    public sealed class HttpLimits
    {
        /// <summary>Longest request line in bytes (default 8 KiB; 414 beyond).</summary>
        public int MaxRequestLineBytes { get; set; } = 8 * 1024;

        /// <summary>Largest header section in bytes, request line included (default 16 KiB; 431 beyond).</summary>
        public int MaxHeaderBytes { get; set; } = 16 * 1024;

        /// <summary>Most header fields (default 100; 431 beyond).</summary>
        public int MaxHeaderCount { get; set; } = 100;

        /// <summary>Time a client has to send a complete request head (default 10 s), against slowloris.</summary>
        public TimeSpan HeaderTimeout { get; set; } = TimeSpan.FromSeconds(10);

        /// <summary>Time an idle keep-alive connection is kept (default 60 s).</summary>
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(60);

        /// <summary>Time a body may stall before it is abandoned and not stored (default 30 s).</summary>
        public TimeSpan BodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Most open connections; more are answered 503 and closed (default 10,000).</summary>
        public int MaxConnections { get; set; } = 10_000;

        /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid limit.</summary>
        public void Validate()
        {
            if (MaxRequestLineBytes < 64)
            {
                throw new ArgumentException("MaxRequestLineBytes must be at least 64.", nameof(MaxRequestLineBytes));
            }

            if (MaxHeaderBytes < MaxRequestLineBytes)
            {
                throw new ArgumentException("MaxHeaderBytes must be at least MaxRequestLineBytes.", nameof(MaxHeaderBytes));
            }

            if (MaxHeaderCount < 1)
            {
                throw new ArgumentException("MaxHeaderCount must be at least 1.", nameof(MaxHeaderCount));
            }

            if (HeaderTimeout <= TimeSpan.Zero || IdleTimeout <= TimeSpan.Zero || BodyTimeout <= TimeSpan.Zero)
            {
                throw new ArgumentException("Timeouts must be positive.", nameof(HeaderTimeout));
            }

            if (MaxConnections < 1)
            {
                throw new ArgumentException("MaxConnections must be at least 1.", nameof(MaxConnections));
            }
        }
    }
}
