using System;

namespace EmbedKv.Server
{
    /// <summary>
    /// A bearer token the server accepts (RFC 6750; docs/security.md). Only the token's SHA-256 is
    /// configured, never the token itself, so a leaked configuration file or environment does not hand
    /// out access: <c>embedkv hash-token</c> (or <see cref="HashOf"/>) prints the hash of a token.
    /// </summary>
    public sealed class AccessToken
    {
        /// <summary>A name for logs and for the configuration key (Tokens:NAME:Hash); it is not a secret.</summary>
        public string Name { get; set; } = string.Empty;

        /// <summary>The SHA-256 of the token's bytes, as 64 hexadecimal digits.</summary>
        public string Hash { get; set; } = string.Empty;

        /// <summary>What the token may do (default: read and write).</summary>
        public TokenScopes Scopes { get; set; } = TokenScopes.Read | TokenScopes.Write;

        /// <summary>
        /// If set, the token reaches only keys that start with these bytes (UTF-8): other keys are 403, and
        /// a listing shows only its keys. Default: every key.
        /// </summary>
        public string? KeyPrefix { get; set; }

        /// <summary>
        /// Whether a client can send <paramref name="token"/> after "Bearer ": one or more of A-Z a-z 0-9 - . _ ~ + /
        /// then any '=' (RFC 6750 §2.1). A token that is not can never be presented, so configuring its hash is a mistake.
        /// </summary>
        /// <param name="token">The token.</param>
        /// <returns>True if it is a b64token.</returns>
        public static bool IsWellFormed(string token)
        {
            ArgumentNullException.ThrowIfNull(token);
            return Http.BearerCredentials.IsB64Token(System.Text.Encoding.UTF8.GetBytes(token));
        }

        /// <summary>The hash to configure for <paramref name="token"/>: SHA-256 of its UTF-8 bytes, 64 lowercase hex digits.</summary>
        /// <param name="token">The token as clients send it after "Bearer ".</param>
        /// <returns>The hash.</returns>
        public static string HashOf(string token)
        {
            ArgumentNullException.ThrowIfNull(token);
            Span<byte> hash = stackalloc byte[Kv.Access.Sha256.HashSize];
            Kv.Access.Sha256.Hash(System.Text.Encoding.UTF8.GetBytes(token), hash);
            return Convert.ToHexStringLower(hash);
        }
    }
}
