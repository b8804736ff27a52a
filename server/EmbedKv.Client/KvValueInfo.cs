using System;

namespace EmbedKv.Client
{
    /// <summary>What a streamed read found: the value's version, its whole length and its expiry.</summary>
    public sealed class KvValueInfo
    {
        internal KvValueInfo(KvVersion version, long length, DateTimeOffset? expires)
        {
            Version = version;
            Length = length;
            Expires = expires;
        }

        /// <summary>The value's version.</summary>
        public KvVersion Version { get; }

        /// <summary>The whole value's length in bytes, whatever part of it was read.</summary>
        public long Length { get; }

        /// <summary>When the value expires (whole seconds), or null if it does not.</summary>
        public DateTimeOffset? Expires { get; }
    }
}
