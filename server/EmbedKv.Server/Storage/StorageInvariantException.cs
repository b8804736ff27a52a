using System.IO;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// The store caught itself about to break one of its own rules (for example, letting an older write
    /// replace a newer one in the index). It stops taking writes rather than let memory and disk disagree;
    /// reads go on, and reopening rebuilds the index from the disk.
    /// </summary>
    public sealed class StorageInvariantException : IOException
    {
        /// <summary>Describes the broken rule.</summary>
        /// <param name="message">What went wrong.</param>
        public StorageInvariantException(string message)
            : base("storage invariant broken: " + message)
        {
        }
    }
}
