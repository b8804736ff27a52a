using EmbedKv.Server.Storage.Writes;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>A value the simulation streams into the store in pieces, and what of it was sent.</summary>
    internal sealed class SimulatedUpload
    {
        public SimulatedUpload(string key, int id, byte[] value, ValueUpload handle)
        {
            Key = key;
            Id = id;
            Value = value;
            Handle = handle;
        }

        public string Key { get; }

        public int Id { get; }

        public byte[] Value { get; }

        public ValueUpload Handle { get; }

        public int Sent { get; set; }
    }
}
