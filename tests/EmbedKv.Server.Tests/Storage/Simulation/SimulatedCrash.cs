using System;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>Unwinds the store's stack at the moment of a simulated crash.</summary>
    internal sealed class SimulatedCrash : Exception
    {
    }
}
