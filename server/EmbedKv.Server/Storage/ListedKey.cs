using System;

namespace EmbedKv.Server.Storage
{
    /// <summary>One key of a listing (<see cref="KvStore.ListKeys"/>): where its bytes lie in the caller's key buffer, and its value's length, version and expiry.</summary>
    /// <param name="KeyOffset">Offset of the key's bytes in the key buffer.</param>
    /// <param name="KeyLength">The key's length.</param>
    /// <param name="Info">The value's length, version and expiry.</param>
    public readonly record struct ListedKey(int KeyOffset, int KeyLength, ValueInfo Info)
    {
        /// <summary>The key's bytes in the buffer the listing filled.</summary>
        /// <param name="keyBuffer">The key buffer passed to <see cref="KvStore.ListKeys"/>.</param>
        /// <returns>The key.</returns>
        public ReadOnlySpan<byte> KeyIn(ReadOnlySpan<byte> keyBuffer) => keyBuffer.Slice(KeyOffset, KeyLength);
    }
}
