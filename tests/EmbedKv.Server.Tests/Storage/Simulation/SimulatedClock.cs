using System;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>The simulation's wall clock: it moves only when a step says so, so a seed fixes every expiry.</summary>
    internal sealed class SimulatedClock : TimeProvider
    {
        private DateTimeOffset _now = new DateTimeOffset(2021, 6, 1, 0, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
