namespace EmbedKv.Client
{
    /// <summary>A key as a listing gives it: the key, its value's length and version.</summary>
    public readonly struct KvListedKey
    {
        internal KvListedKey(KvKey key, long size, KvVersion version)
        {
            Key = key;
            Size = size;
            Version = version;
        }

        /// <summary>The key.</summary>
        public KvKey Key { get; }

        /// <summary>The value's length in bytes.</summary>
        public long Size { get; }

        /// <summary>The value's version.</summary>
        public KvVersion Version { get; }
    }
}
