using System;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>A seed broke the store's promise; the message says how, and how to replay it.</summary>
    internal sealed class SimulationFailedException : Exception
    {
        public SimulationFailedException(string message, Exception? inner)
            : base(message, inner)
        {
        }

        /// <summary>The one command that replays a seed exactly.</summary>
        public static string ReplayCommand(int seed)
            => "EMBEDKV_SIM_SEED=" + seed + " dotnet test tests/EmbedKv.Server.Tests --filter FullyQualifiedName~StoreSimulationTests.ReplaysOneSeed";
    }
}
