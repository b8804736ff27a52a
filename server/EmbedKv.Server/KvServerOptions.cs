using System;
using System.Diagnostics.Metrics;
using EmbedKv.Server.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmbedKv.Server
{
    /// <summary>How a <see cref="KvServer"/> listens, stores and limits.</summary>
    public sealed class KvServerOptions
    {
        /// <summary>Address to bind (default 127.0.0.1: an embedded component is not exposed unless asked).</summary>
        public string BindAddress { get; set; } = "127.0.0.1";

        /// <summary>Port to bind; 0 picks a free one (see <see cref="KvServer.Port"/>). Default 8080.</summary>
        public int Port { get; set; } = 8080;

        /// <summary>Data directory (default ./embedkv-data).</summary>
        public string DataDirectory { get; set; } = "embedkv-data";

        /// <summary>Event-loop threads (default: the processor count).</summary>
        public int Workers { get; set; } = Environment.ProcessorCount;

        /// <summary>When writes are acknowledged (default <see cref="Durability.Always"/>).</summary>
        public Durability Durability { get; set; } = Durability.Always;

        /// <summary>Longest key in bytes (default 1024; 414 beyond).</summary>
        public int MaxKeyLength { get; set; } = 1024;

        /// <summary>Largest value in bytes (default 1 GiB; 413 beyond).</summary>
        public long MaxValueLength { get; set; } = 1L << 30;

        /// <summary>Request limits and timeouts.</summary>
        public HttpLimits Limits { get; set; } = new HttpLimits();

        /// <summary>How event loops share the port (default: one SO_REUSEPORT listener per loop).</summary>
        public ListenerMode ListenerMode { get; set; } = ListenerMode.ReusePort;

        /// <summary>Where the server reports startup, recovery and errors; default: nowhere.</summary>
        public ILogger Logger { get; set; } = NullLogger.Instance;

        /// <summary>
        /// Creates the "EmbedKv" meter (the Generic Host passes its own); default: the server creates one
        /// and disposes it when it stops.
        /// </summary>
        public IMeterFactory? MeterFactory { get; set; }

        /// <summary>
        /// Size in bytes at which the store seals its active segment and starts a new one (default 64 MiB;
        /// 4 KiB to 1 GiB). Only sealed segments are merged, so smaller segments let space be reclaimed sooner.
        /// </summary>
        public long SegmentSize { get; set; } = new StoreOptions().SegmentSize;

        /// <summary>Share of dead bytes (between 0 and 1, exclusive) above which a background merge starts (default 0.5).</summary>
        public double CompactionThreshold { get; set; } = new StoreOptions().CompactionThreshold;

        /// <summary>Dead bytes below which no merge starts, however large their share (default 16 MiB).</summary>
        public long CompactionMinimumDeadBytes { get; set; } = new StoreOptions().CompactionMinimumDeadBytes;

        /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
        public void Validate()
        {
            if (Port < 0 || Port > 65535)
            {
                throw new ArgumentException("Port must be between 0 and 65535, not " + Port + ".", nameof(Port));
            }

            if (Workers < 1 || Workers > 256)
            {
                throw new ArgumentException("Workers must be between 1 and 256, not " + Workers + ".", nameof(Workers));
            }

            if (string.IsNullOrWhiteSpace(BindAddress) || !System.Net.IPAddress.TryParse(BindAddress, out _))
            {
                throw new ArgumentException("BindAddress must be an IPv4 or IPv6 address, not '" + BindAddress + "'.", nameof(BindAddress));
            }

            ArgumentNullException.ThrowIfNull(Limits, nameof(Limits));
            Limits.Validate();
            StoreOptions().Validate();
        }

        internal StoreOptions StoreOptions() => new StoreOptions
        {
            DataDirectory = DataDirectory,
            Durability = Durability,
            MaxKeyLength = MaxKeyLength,
            MaxValueLength = MaxValueLength,
            SegmentSize = SegmentSize,
            CompactionThreshold = CompactionThreshold,
            CompactionMinimumDeadBytes = CompactionMinimumDeadBytes,
            Logger = Logger ?? NullLogger.Instance,
        };
    }

    /// <summary>How several event loops share one port.</summary>
    public enum ListenerMode
    {
        /// <summary>Each loop has its own listener bound with SO_REUSEPORT; the kernel spreads connections.</summary>
        ReusePort,

        /// <summary>One listener in every loop's epoll with EPOLLEXCLUSIVE, so one loop wakes per connection.</summary>
        SharedExclusive,
    }
}
