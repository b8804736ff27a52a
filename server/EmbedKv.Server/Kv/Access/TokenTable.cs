using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using System.Text;

namespace EmbedKv.Server.Kv.Access
{
    /// <summary>
    /// The server's configured tokens, by the SHA-256 of each (<see cref="AccessToken"/>): built once at
    /// start and shared, read-only, by every loop. A presented token is hashed and compared with every
    /// entry, each comparison in constant time and none cut short, so how long a lookup takes says nothing
    /// about which stored hash a guess came near.
    /// </summary>
    internal sealed class TokenTable
    {
        private readonly byte[][] _hashes;
        private readonly TokenScopes[] _scopes;
        private readonly byte[][] _prefixes;
        private readonly string[] _names;

        private TokenTable(List<AccessToken> tokens)
        {
            _hashes = new byte[tokens.Count][];
            _scopes = new TokenScopes[tokens.Count];
            _prefixes = new byte[tokens.Count][];
            _names = new string[tokens.Count];
            for (int i = 0; i < tokens.Count; i++)
            {
                _hashes[i] = Convert.FromHexString(tokens[i].Hash);
                _scopes[i] = tokens[i].Scopes;
                _prefixes[i] = Encoding.UTF8.GetBytes(tokens[i].KeyPrefix ?? string.Empty);
                _names[i] = tokens[i].Name;
            }
        }

        /// <summary>Whether any token is configured; without one, the server is open (loopback only, unless AllowAnonymous).</summary>
        public bool Enabled => _hashes.Length > 0;

        public static TokenTable From(IEnumerable<AccessToken> tokens) => new TokenTable(new List<AccessToken>(tokens));

        /// <summary>The entry whose hash is the SHA-256 of <paramref name="token"/>, or -1.</summary>
        public int Find(ReadOnlySpan<byte> token)
        {
            Span<byte> hash = stackalloc byte[Sha256.HashSize];
            Sha256.Hash(token, hash);
            int found = -1;
            for (int i = 0; i < _hashes.Length; i++)
            {
                // No early exit: every entry is compared whether or not one matched already.
                bool equal = CryptographicOperations.FixedTimeEquals(hash, _hashes[i]);
                found = equal ? i : found;
            }

            return found;
        }

        public TokenScopes ScopesOf(int entry) => _scopes[entry];

        /// <summary>The key prefix entry <paramref name="entry"/> is limited to (empty: every key).</summary>
        public ReadOnlyMemory<byte> PrefixOf(int entry) => _prefixes[entry];

        public string NameOf(int entry) => _names[entry];
    }
}
