using System.IO;
using EmbedKv.Server.Storage.Recovery;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// <c>embedkv check</c> and <c>check --repair</c> (docs/storage.md, "Checking and repairing a data
    /// directory"): verifies every record of every segment by the recovery rule, and repairs damage by
    /// moving the damaged segment aside and keeping its valid records before the damage.
    /// </summary>
    public static class StoreCheck
    {
        /// <summary>Checks a data directory without changing anything in it.</summary>
        /// <param name="dataDirectory">The data directory; it must exist.</param>
        /// <returns>What the check found.</returns>
        /// <exception cref="StorageLockedException">An open store (a running server) holds the directory.</exception>
        /// <exception cref="IOException">The directory or a file in it cannot be read.</exception>
        public static CheckReport Check(string dataDirectory) => DirectoryCheck.Check(dataDirectory);

        /// <summary>
        /// Repairs every damaged segment: its valid records before the damage go into a new segment
        /// (sequence numbers kept), and the damaged file is renamed aside, never deleted. Torn tails and
        /// leftovers are left to the next open, which handles them by the recovery rule.
        /// </summary>
        /// <param name="dataDirectory">The data directory; it must exist.</param>
        /// <returns>The check before, what was done, and the check after.</returns>
        /// <exception cref="StorageLockedException">An open store (a running server) holds the directory.</exception>
        /// <exception cref="IOException">A file cannot be read or written, or the merge manifest is unreadable.</exception>
        public static RepairReport Repair(string dataDirectory) => DirectoryCheck.Repair(dataDirectory);
    }
}
