using System;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmbedKv.Server.Storage
{
    /// <summary>How a <see cref="KvStore"/> is opened.</summary>
    public sealed class StoreOptions
    {
        /// <summary>Largest value the format allows: record offsets and lengths are 32-bit in the index.</summary>
        public const long LargestValueLength = int.MaxValue;

        /// <summary>The data directory; created if missing.</summary>
        public string DataDirectory { get; set; } = "embedkv-data";

        /// <summary>When writes are acknowledged; default <see cref="Durability.Always"/>.</summary>
        public Durability Durability { get; set; } = Durability.Always;

        /// <summary>Longest key in bytes (default 1024, at most 65535).</summary>
        public int MaxKeyLength { get; set; } = 1024;

        /// <summary>Longest value in bytes (default 1 GiB, at most 2 GiB - 1).</summary>
        public long MaxValueLength { get; set; } = 1L << 30;

        /// <summary>Size at which the active segment is sealed and a new one started (default 64 MiB).</summary>
        public long SegmentSize { get; set; } = 64L << 20;

        /// <summary>Share of dead bytes (0..1) above which a merge starts (default 0.5).</summary>
        public double CompactionThreshold { get; set; } = 0.5;

        /// <summary>Dead bytes below which no merge starts, however large their share (default 16 MiB).</summary>
        public long CompactionMinimumDeadBytes { get; set; } = 16L << 20;

        /// <summary>Whether merges start on their own when the threshold is crossed (default true).</summary>
        public bool AutomaticCompaction { get; set; } = true;

        /// <summary>Where the store reports recovery and compaction events; default: nowhere.</summary>
        public ILogger Logger { get; set; } = NullLogger.Instance;

        /// <summary>
        /// The clock expiry is judged by (<see cref="KvStore.Put(ReadOnlySpan{byte}, ReadOnlySpan{byte}, WriteCondition, TimeSpan?)"/>
        /// with a time to live): the system's wall clock unless a test supplies its own.
        /// </summary>
        public TimeProvider Clock { get; set; } = TimeProvider.System;

        /// <summary>The clock's time in Unix seconds.</summary>
        internal long NowUnixSeconds() => Clock.GetUtcNow().ToUnixTimeSeconds();

        /// <summary>Told the number of writes after each commit round, on the commit thread (the server's metrics).</summary>
        internal Action<int>? BatchCommitted { get; set; }

        /// <summary>Who runs the commit and merge work: the store's own threads, or a test's simulation.</summary>
        internal StoreSchedule Schedule { get; set; } = StoreSchedule.Threads;

        /// <summary>
        /// After the disk refused a new file (ENOSPC), how long writes that need one are refused from memory
        /// before the next attempt, so that a flood of writes on a full disk costs no syscalls (default 1 s,
        /// as Redis retries a failed AOF write; tests shorten or lengthen it).
        /// </summary>
        internal TimeSpan DiskFullRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

        /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
        public void Validate()
        {
            if (string.IsNullOrWhiteSpace(DataDirectory))
            {
                throw new ArgumentException("DataDirectory must name a directory.", nameof(DataDirectory));
            }

            if (Durability is null)
            {
                throw new ArgumentException("Durability must be set.", nameof(Durability));
            }

            if (MaxKeyLength < 1 || MaxKeyLength > ushort.MaxValue)
            {
                throw new ArgumentException("MaxKeyLength must be between 1 and 65535, not " + MaxKeyLength + ".", nameof(MaxKeyLength));
            }

            if (MaxValueLength < 0 || MaxValueLength > LargestValueLength)
            {
                throw new ArgumentException("MaxValueLength must be between 0 and " + LargestValueLength + ", not " + MaxValueLength + ".", nameof(MaxValueLength));
            }

            if (SegmentSize < 4096 || SegmentSize > (1L << 30))
            {
                throw new ArgumentException("SegmentSize must be between 4 KiB and 1 GiB, not " + SegmentSize + ".", nameof(SegmentSize));
            }

            if (!(CompactionThreshold > 0 && CompactionThreshold < 1))
            {
                throw new ArgumentException("CompactionThreshold must be between 0 and 1 (exclusive), not " + CompactionThreshold + ".", nameof(CompactionThreshold));
            }

            if (CompactionMinimumDeadBytes < 0)
            {
                throw new ArgumentException("CompactionMinimumDeadBytes must not be negative.", nameof(CompactionMinimumDeadBytes));
            }
        }
    }
}
