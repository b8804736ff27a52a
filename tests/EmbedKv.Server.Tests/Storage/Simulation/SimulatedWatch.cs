using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>
    /// An in-process wait for a key to change, started by the simulation (<see cref="StoreSimulator"/>) on
    /// the store of <paramref name="Generation"/>. <paramref name="Pending"/> is looked at (IsCompleted) after
    /// every step and read once when complete: its completion is set on the simulation's own thread, where
    /// a Task made from it would complete later, on the thread pool.
    /// </summary>
    internal sealed record SimulatedWatch(string Key, ulong Version, uint Expires, int Generation, ValueTask<bool> Pending);
}
