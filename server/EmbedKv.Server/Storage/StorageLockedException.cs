using System.IO;

namespace EmbedKv.Server.Storage
{
    /// <summary>The data directory is held by another open store (this process or another).</summary>
    public sealed class StorageLockedException : IOException
    {
        /// <summary>Names the directory.</summary>
        /// <param name="directory">The data directory.</param>
        public StorageLockedException(string directory)
            : base("data directory " + directory + " is locked by another open store, in this process or another (flock: EWOULDBLOCK)")
        {
        }
    }
}
