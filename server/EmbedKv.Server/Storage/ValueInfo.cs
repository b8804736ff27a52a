using System;

namespace EmbedKv.Server.Storage
{
    /// <summary>What the store knows about a key's current value, without its bytes.</summary>
    /// <param name="Length">The value's length in bytes.</param>
    /// <param name="Version">Its version: it changes on every write of the key (see <see cref="WriteResult.Version"/>).</param>
    /// <param name="ExpiresAtUnixSeconds">When it expires, in Unix seconds; 0 if never.</param>
    public readonly record struct ValueInfo(long Length, ulong Version, long ExpiresAtUnixSeconds)
    {
        /// <summary>When the value expires, or null if never.</summary>
        public DateTimeOffset? Expires => ExpiresAtUnixSeconds == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(ExpiresAtUnixSeconds);
    }
}
