using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Net;
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

        /// <summary>
        /// Port to bind; 0 picks a free one (see <see cref="KvServer.Port"/>); -1 listens on no TCP port, only on
        /// <see cref="UnixSocketPath"/>. Default 8080.
        /// </summary>
        public int Port { get; set; } = 8080;

        /// <summary>
        /// A Unix domain socket to listen on as well (or alone, with <see cref="Port"/> -1), for clients on this
        /// machine; filesystem permissions decide who may connect (<see cref="UnixSocketMode"/>). A stale socket
        /// left by a crash is replaced; one another server answers on, or a file that is no socket, is refused.
        /// It is removed when the server stops. A leading '@' names a Linux abstract socket (no file, no mode).
        /// Default: none.
        /// </summary>
        public string? UnixSocketPath { get; set; }

        /// <summary>The Unix domain socket's permission bits, set whatever the umask (default 0660 octal: owner and group).</summary>
        public int UnixSocketMode { get; set; } = 0x1B0;

        /// <summary>Data directory (default ./embedkv-data).</summary>
        public string DataDirectory { get; set; } = "embedkv-data";

        /// <summary>
        /// Where keys and values live: null (the default) for the local log-structured store in
        /// <see cref="DataDirectory"/>; otherwise a remote store such as EmbedKv.Etcd's, which then serves the
        /// same HTTP API and makes <see cref="DataDirectory"/>, <see cref="Durability"/> and the compaction and
        /// segment settings moot (docs/etcd.md). The server does not dispose it: whoever made it does, after
        /// the server has stopped.
        /// </summary>
        public Backends.IKvBackend? Backend { get; set; }

        /// <summary>Event-loop threads (default: the processor count).</summary>
        public int Workers { get; set; } = Environment.ProcessorCount;

        /// <summary>When writes are acknowledged (default <see cref="Durability.Always"/>).</summary>
        public Durability Durability { get; set; } = Durability.Always;

        /// <summary>
        /// Whether, under <see cref="Durability.Always"/>, an event loop about to sleep syncs the writes it queued
        /// itself, as Redis does before it sleeps, instead of handing them to the commit thread (default false).
        /// It saves about a sixth of the CPU per durable write at moderate load (two thread wake-ups per round),
        /// not throughput at peak; but every connection on that loop, reads included, then waits out the sync,
        /// and one sync can take hundreds of milliseconds on a busy disk (docs/storage.md, "Durability modes").
        /// </summary>
        public bool CommitOnEventLoop { get; set; }

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

        /// <summary>
        /// The bearer tokens the server accepts (docs/security.md). With none, every client that can connect
        /// may read and write every key, so the server then refuses to start on any address but loopback
        /// unless <see cref="AllowAnonymous"/> is set.
        /// </summary>
        public IList<AccessToken> Tokens { get; set; } = new List<AccessToken>();

        /// <summary>
        /// Serve without tokens on an address other than loopback: anyone who reaches the port may read and
        /// write every key. Default false: such a server refuses to start.
        /// </summary>
        public bool AllowAnonymous { get; set; }

        /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
        public void Validate()
        {
            if (Port < -1 || Port > 65535)
            {
                throw new ArgumentException("Port must be between 0 and 65535 (or -1 for no TCP port), not " + Port + ".", nameof(Port));
            }

            if (UnixSocketPath is not null)
            {
                try
                {
                    EmbedKv.Runtime.Net.UnixEndpoint.Parse(UnixSocketPath);
                }
                catch (ArgumentException e)
                {
                    throw new ArgumentException("UnixSocketPath: " + e.Message, nameof(UnixSocketPath));
                }

                if (UnixSocketMode is < 0 or > 0x1FF)
                {
                    throw new ArgumentException("UnixSocketMode must be permission bits from 0 to 0777 (octal), not " + Convert.ToString(UnixSocketMode, 8) + ".", nameof(UnixSocketMode));
                }
            }
            else if (Port == -1)
            {
                throw new ArgumentException("Port -1 (no TCP port) needs a UnixSocketPath to listen on instead.", nameof(Port));
            }

            if (Workers < 1 || Workers > 256)
            {
                throw new ArgumentException("Workers must be between 1 and 256, not " + Workers + ".", nameof(Workers));
            }

            if (string.IsNullOrWhiteSpace(BindAddress) || !System.Net.IPAddress.TryParse(BindAddress, out _))
            {
                throw new ArgumentException("BindAddress must be an IPv4 or IPv6 address, not '" + BindAddress + "'.", nameof(BindAddress));
            }

            ValidateTokens();
            if (Tokens.Count == 0 && !AllowAnonymous && Port != -1 && !IPAddress.IsLoopback(IPAddress.Parse(BindAddress)))
            {
                throw new ArgumentException(
                    "BindAddress " + BindAddress + " is not a loopback address and no tokens are configured: anyone who can reach it could read and write every key. Configure Tokens, or set AllowAnonymous to serve without them.",
                    nameof(BindAddress));
            }

            ArgumentNullException.ThrowIfNull(Limits, nameof(Limits));
            Limits.Validate();
            StoreOptions().Validate();
        }

        private void ValidateTokens()
        {
            ArgumentNullException.ThrowIfNull(Tokens, nameof(Tokens));
            var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            var hashes = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (AccessToken token in Tokens)
            {
                ArgumentNullException.ThrowIfNull(token, nameof(Tokens));
                string name = token.Name;
                if (string.IsNullOrWhiteSpace(name) || !names.Add(name))
                {
                    throw new ArgumentException("Tokens: every token needs a name of its own, not '" + name + "'.", nameof(Tokens));
                }

                if (token.Hash is not { Length: 64 } || !IsHex(token.Hash))
                {
                    throw new ArgumentException("Tokens:" + name + ":Hash must be the token's SHA-256 as 64 hexadecimal digits (embedkv hash-token prints it), not the token itself.", nameof(Tokens));
                }

                if (!hashes.Add(token.Hash))
                {
                    throw new ArgumentException("Tokens:" + name + ":Hash is the hash of another token as well; give each its own token.", nameof(Tokens));
                }

                if (token.Scopes == TokenScopes.None || (token.Scopes & ~(TokenScopes.Read | TokenScopes.Write | TokenScopes.Admin)) != 0)
                {
                    throw new ArgumentException("Tokens:" + name + ":Scopes must be one or more of read, write, admin.", nameof(Tokens));
                }

                if (!string.IsNullOrEmpty(token.KeyPrefix) && (token.Scopes & TokenScopes.Admin) != 0)
                {
                    throw new ArgumentException("Tokens:" + name + " has a key prefix and the admin scope: a checkpoint copies every key, so an admin token cannot be limited to a prefix.", nameof(Tokens));
                }
            }

            static bool IsHex(string text)
            {
                foreach (char c in text)
                {
                    if (!char.IsAsciiHexDigit(c))
                    {
                        return false;
                    }
                }

                return true;
            }
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
