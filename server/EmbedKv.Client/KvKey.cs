using System;
using System.Text;

namespace EmbedKv.Client
{
    /// <summary>
    /// A key: opaque bytes, one or more. A string converts to its UTF-8 bytes. The client percent-encodes every
    /// byte outside RFC 3986's unreserved set when it builds a request, so any byte value can be a key, '/'
    /// included (docs/api.md, "Keys and targets").
    /// </summary>
    public readonly struct KvKey : IEquatable<KvKey>
    {
        private static readonly Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        private readonly byte[]? _bytes;

        /// <summary>A key of these bytes (copied).</summary>
        /// <param name="bytes">At least one byte: the empty key cannot be reached over HTTP.</param>
        public KvKey(ReadOnlySpan<byte> bytes)
        {
            if (bytes.IsEmpty)
            {
                throw new ArgumentException("a key has at least one byte", nameof(bytes));
            }

            _bytes = bytes.ToArray();
        }

        /// <summary>The key's bytes.</summary>
        public ReadOnlySpan<byte> Bytes => _bytes ?? throw new InvalidOperationException("the default KvKey is no key");

        /// <summary>A string key, as its UTF-8 bytes.</summary>
        /// <param name="key">The key.</param>
        public static implicit operator KvKey(string key)
        {
            ArgumentNullException.ThrowIfNull(key);
            try
            {
                return new KvKey(StrictUtf8.GetBytes(key));
            }
            catch (EncoderFallbackException e)
            {
                // A lone surrogate would become U+FFFD, and two different strings the same key.
                throw new ArgumentException("a string key must be valid UTF-16 (it has a lone surrogate)", nameof(key), e);
            }
        }

        /// <summary>A key of these bytes (copied).</summary>
        /// <param name="key">The key.</param>
        public static implicit operator KvKey(byte[] key)
        {
            ArgumentNullException.ThrowIfNull(key);
            return new KvKey(key);
        }

        /// <summary>Whether two keys have the same bytes.</summary>
        public static bool operator ==(KvKey left, KvKey right) => left.Equals(right);

        /// <summary>Whether two keys differ.</summary>
        public static bool operator !=(KvKey left, KvKey right) => !left.Equals(right);

        /// <summary>The key as a request path: '/' then every byte percent-encoded but A-Z a-z 0-9 - . _ ~.</summary>
        public string ToPath() => "/" + PercentEncoding.Encode(Bytes);

        /// <summary>The key's bytes read as UTF-8 (invalid sequences become U+FFFD).</summary>
        public override string ToString() => _bytes is null ? string.Empty : Encoding.UTF8.GetString(_bytes);

        /// <inheritdoc/>
        public bool Equals(KvKey other) => Bytes.SequenceEqual(other.Bytes);

        /// <inheritdoc/>
        public override bool Equals(object? obj) => obj is KvKey other && Equals(other);

        /// <inheritdoc/>
        public override int GetHashCode()
        {
            var hash = default(HashCode);
            hash.AddBytes(Bytes);
            return hash.ToHashCode();
        }
    }
}
