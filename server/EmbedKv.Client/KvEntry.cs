using System;

namespace EmbedKv.Client
{
    /// <summary>A key's value as read, with its version and expiry.</summary>
    public sealed class KvEntry
    {
        internal KvEntry(KvKey key, byte[] value, KvVersion version, DateTimeOffset? expires)
        {
            Key = key;
            Value = value;
            Version = version;
            Expires = expires;
        }

        /// <summary>The key.</summary>
        public KvKey Key { get; }

        /// <summary>The value's bytes.</summary>
        public byte[] Value { get; }

        /// <summary>The version read: pass it to <see cref="KvCondition.IfVersion"/> to write only if nobody wrote since.</summary>
        public KvVersion Version { get; }

        /// <summary>When the value expires (whole seconds), or null if it does not.</summary>
        public DateTimeOffset? Expires { get; }

        /// <summary>The value read as UTF-8.</summary>
        public string ValueAsString() => System.Text.Encoding.UTF8.GetString(Value);
    }
}
