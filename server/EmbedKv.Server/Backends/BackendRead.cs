using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Backends
{
    /// <summary>A key's value in a backend.</summary>
    /// <param name="Value">The value's bytes.</param>
    /// <param name="Info">Its length, version and expiry.</param>
    public sealed record BackendValue(byte[] Value, ValueInfo Info);

    /// <summary>What a read found, and when.</summary>
    /// <param name="Value">The value; null if the key does not exist.</param>
    /// <param name="Revision">The backend's revision at the read: a wait from here misses no later change.</param>
    public sealed record BackendRead(BackendValue? Value, long Revision);

    /// <summary>One key of a listing.</summary>
    /// <param name="Key">The key.</param>
    /// <param name="Length">Its value's length in bytes.</param>
    /// <param name="Version">Its version.</param>
    public readonly record struct BackendListedKey(byte[] Key, long Length, ulong Version);
}
