using EmbedKv.Server.Storage.Writes;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>A value the simulation streams into the store in pieces, and what of it was sent.</summary>
    internal sealed class SimulatedUpload
    {
        public SimulatedUpload(string key, int id, byte[] value, uint expires, ValueUpload handle)
        {
            Expires = expires;
            Key = key;
            Id = id;
            Value = value;
            Handle = handle;
        }

        public string Key { get; }

        public int Id { get; }

        public byte[] Value { get; }

        /// <summary>When the value expires (Unix seconds); 0 if never.</summary>
        public uint Expires { get; }

        public ValueUpload Handle { get; }

        public int Sent { get; set; }
    }
}
