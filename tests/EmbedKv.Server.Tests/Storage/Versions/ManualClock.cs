using System;

namespace EmbedKv.Server.Tests.Storage.Versions
{
    /// <summary>A clock the test moves by hand, so expiry is tested without sleeping. It starts in the past (2020).</summary>
    internal sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = new DateTimeOffset(2020, 1, 1, 12, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => Now;

        public void Advance(TimeSpan by) => Now += by;
    }
}
