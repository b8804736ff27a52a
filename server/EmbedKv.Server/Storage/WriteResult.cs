namespace EmbedKv.Server.Storage
{
    /// <summary>How a write ended, and the version it gave its key.</summary>
    /// <param name="Outcome">How it ended.</param>
    /// <param name="Version">
    /// The key's new version (<see cref="WriteOutcome.Created"/>, <see cref="WriteOutcome.Replaced"/>) or
    /// the delete's (<see cref="WriteOutcome.Deleted"/>); 0 for the other outcomes. Versions rise with every
    /// write to the store, survive restarts and merges, and change on every write of a key, even one of the
    /// same bytes: HTTP's strong ETag is made from it.
    /// </param>
    public readonly record struct WriteResult(WriteOutcome Outcome, ulong Version);
}
