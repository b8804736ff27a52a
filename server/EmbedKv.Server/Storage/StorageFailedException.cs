using System;
using System.IO;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// The store refuses writes: an earlier <c>fdatasync</c> (or another step that durability rests on)
    /// failed, so nothing written since can be promised durable. Reads still work; reopen the store.
    /// </summary>
    public sealed class StorageFailedException : IOException
    {
        /// <summary>Wraps the failure that stopped the store.</summary>
        /// <param name="cause">The failed operation.</param>
        public StorageFailedException(Exception cause)
            : base("the store refuses writes after a failed sync (reopen it to recover): " + cause.Message, cause)
        {
        }
    }
}
