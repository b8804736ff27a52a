using EmbedKv.Server.Storage.Index;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>Values the key index tests share.</summary>
    internal static class IndexSamples
    {
        /// <summary>A record location that differs only by its sequence number.</summary>
        public static RecordLocation Location(ulong sequence) => new RecordLocation(1, 2, 3, sequence, false);
    }
}
