using System;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// Lease ids that carry their value's expiry: etcd takes a lease id the client chooses, so EmbedKv writes the
    /// Expires it answered into the id itself. Every instance then reads a key's Expires exactly from the key's
    /// lease id, with no LeaseTimeToLive round trip and no second of rounding between instances. Layout of the
    /// positive 64-bit id: a marker in bits 62–55, the expiry in Unix seconds in bits 54–21 (until the year 2514),
    /// and 21 random bits, so that two writes expiring in the same second rarely ask for the same id (etcd refuses
    /// a taken id, and the grant is then asked again with other bits).
    /// </summary>
    /// <remarks>
    /// A lease that some other client of the cluster made, on a key under this store's prefix, has an id etcd
    /// chose: its top byte matches the marker about once in 256, and such a lease would be read as an expiry
    /// here. Keys under an EmbedKv prefix are EmbedKv's (docs/etcd.md, KeyPrefix).
    /// </remarks>
    internal static class LeaseIds
    {
        private const long Marker = 0xA5;
        private const int ExpiryShift = 21;
        private const long ExpiryMask = (1L << 34) - 1;

        /// <summary>A new id for a lease whose value expires at <paramref name="expiresAtUnixSeconds"/>.</summary>
        public static long For(long expiresAtUnixSeconds)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(expiresAtUnixSeconds);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(expiresAtUnixSeconds, ExpiryMask);
            return (Marker << 55) | (expiresAtUnixSeconds << ExpiryShift) | Random.Shared.NextInt64(1L << ExpiryShift);
        }

        /// <summary>The expiry an id made by <see cref="For"/> carries; false for an id etcd chose.</summary>
        public static bool TryExpiry(long lease, out long expiresAtUnixSeconds)
        {
            expiresAtUnixSeconds = (lease >> ExpiryShift) & ExpiryMask;
            return lease > 0 && (lease >> 55) == Marker;
        }
    }
}
