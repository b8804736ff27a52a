using System;
using System.Globalization;

namespace EmbedKv.Server.Storage
{
    /// <summary>When a write is acknowledged relative to when it reaches stable storage (see docs/storage.md).</summary>
    public enum DurabilityMode
    {
        /// <summary>Acknowledged after <c>fdatasync</c> covered the write: survives a machine crash.</summary>
        Always,

        /// <summary>Acknowledged at once; synced within the interval: a machine crash may lose the last interval.</summary>
        Batched,

        /// <summary>Acknowledged at once; synced only when the store closes: a machine crash may lose anything unsynced.</summary>
        None,
    }

    /// <summary>The durability a store promises for acknowledged writes.</summary>
    public sealed class Durability : IEquatable<Durability>
    {
        private Durability(DurabilityMode mode, TimeSpan interval)
        {
            Mode = mode;
            Interval = interval;
        }

        /// <summary>Every acknowledged write has been covered by <c>fdatasync</c> (the default).</summary>
        public static Durability Always { get; } = new Durability(DurabilityMode.Always, TimeSpan.Zero);

        /// <summary>Writes are never synced before they are acknowledged; the store syncs when it closes.</summary>
        public static Durability None { get; } = new Durability(DurabilityMode.None, TimeSpan.Zero);

        /// <summary>The mode.</summary>
        public DurabilityMode Mode { get; }

        /// <summary>For <see cref="DurabilityMode.Batched"/>, the longest a write stays unsynced.</summary>
        public TimeSpan Interval { get; }

        /// <summary>Writes are acknowledged at once and synced within <paramref name="interval"/> (like Redis's everysec).</summary>
        /// <param name="interval">Between 1 ms and 1 hour.</param>
        /// <returns>The durability.</returns>
        public static Durability Batched(TimeSpan interval)
        {
            if (interval < TimeSpan.FromMilliseconds(1) || interval > TimeSpan.FromHours(1))
            {
                throw new ArgumentOutOfRangeException(nameof(interval), interval, "The batch interval must be between 1 ms and 1 hour.");
            }

            return new Durability(DurabilityMode.Batched, interval);
        }

        /// <summary>Parses "always", "none", "batched" (1 s) or "batched:250ms" / "batched:2s".</summary>
        /// <param name="text">The text.</param>
        /// <param name="durability">The durability, if the text is valid.</param>
        /// <returns>Whether the text is valid.</returns>
        public static bool TryParse(string? text, out Durability durability)
        {
            durability = Always;
            string value = (text ?? string.Empty).Trim().ToLowerInvariant();
            switch (value)
            {
                case "always":
                    return true;
                case "none":
                    durability = None;
                    return true;
                case "batched":
                    durability = Batched(TimeSpan.FromSeconds(1));
                    return true;
            }

            if (!value.StartsWith("batched:", StringComparison.Ordinal))
            {
                return false;
            }

            // Exactly one unit suffix, and a plain decimal number before it: TrimEnd('m', 's') took
            // "5mss" for 5 s, and NumberStyles.Float took "5 ms", "NaN" and "1e3". The range test is
            // written so that NaN fails it (Batched would throw, and TryParse must not).
            string amount = value.Substring("batched:".Length);
            int suffix = amount.EndsWith("ms", StringComparison.Ordinal) ? 2 : amount.EndsWith('s') ? 1 : 0;
            double scale = suffix == 2 ? 1 : 1000;
            if (suffix == 0
                || !double.TryParse(amount.AsSpan(0, amount.Length - suffix), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double count)
                || !(count * scale >= 1 && count * scale <= 3_600_000))
            {
                return false;
            }

            durability = Batched(TimeSpan.FromMilliseconds(count * scale));
            return true;
        }

        /// <inheritdoc/>
        public bool Equals(Durability? other) => other is not null && other.Mode == Mode && other.Interval == Interval;

        /// <inheritdoc/>
        public override bool Equals(object? obj) => Equals(obj as Durability);

        /// <inheritdoc/>
        public override int GetHashCode() => HashCode.Combine(Mode, Interval);

        /// <summary>"always", "none" or "batched:1000ms".</summary>
        /// <returns>The text <see cref="TryParse"/> reads back.</returns>
        public override string ToString() => Mode switch
        {
            DurabilityMode.Batched => "batched:" + Interval.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms",
            DurabilityMode.None => "none",
            _ => "always",
        };
    }
}
