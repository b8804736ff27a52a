namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>What a run of the simulation did, summed over its seeds, for the report.</summary>
    internal sealed class SimulationFigures
    {
        public long Acknowledged { get; set; }

        public long Reads { get; set; }

        public long Merges { get; set; }

        public long Crashes { get; set; }

        public long Opens { get; set; }

        public long Watches { get; set; }

        public void Add(SimulationFigures other)
        {
            Acknowledged += other.Acknowledged;
            Reads += other.Reads;
            Merges += other.Merges;
            Crashes += other.Crashes;
            Opens += other.Opens;
            Watches += other.Watches;
        }

        public override string ToString()
            => Acknowledged + " acknowledged writes, " + Reads + " checked reads, " + Merges + " merges, " + Crashes + " crashes, " + Opens + " opens, " + Watches + " waits for a change";
    }
}
