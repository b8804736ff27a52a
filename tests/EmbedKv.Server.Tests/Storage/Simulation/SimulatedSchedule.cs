using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>
    /// The store's schedule under simulation: no commit or merge thread; the simulator runs commit rounds
    /// and merges on its own (single) thread, and at every point the store offers it may run other work
    /// there, or cut the power, as its seed says.
    /// </summary>
    internal sealed class SimulatedSchedule : StoreSchedule
    {
        private readonly StoreSimulator _simulator;

        public SimulatedSchedule(StoreSimulator simulator) => _simulator = simulator;

        public override bool StartsThreads => false;

        public override void Point(string name) => _simulator.AtPoint(name);

        public override void Idle() => _simulator.WhileAMergeWaits();
    }
}
