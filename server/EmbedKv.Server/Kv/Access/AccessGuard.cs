using System;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Kv.Access
{
    /// <summary>
    /// Who may do what (docs/security.md): with tokens configured, every request must carry a known one
    /// (401 otherwise, RFC 6750 §3.1), with the scope its method needs and, for a key, the token's key
    /// prefix (403 otherwise). Without tokens every key is open, as the server is then bound to loopback
    /// or told AllowAnonymous, but the admin endpoints still need a token of their own. Nothing here
    /// allocates for a request that is let through. One guard per loop (its recent tokens are the
    /// loop's own); the table and the failure counts are shared.
    /// </summary>
    internal sealed class AccessGuard
    {
        private readonly TokenTable _tokens;
        private readonly AccessFailures _failures;
        private readonly RecentTokens _recent = new RecentTokens();

        public AccessGuard(TokenTable tokens, AccessFailures failures)
        {
            _tokens = tokens;
            _failures = failures;
        }

        /// <summary>A guard for another loop: the same tokens and failure counts, its own recent tokens.</summary>
        public AccessGuard ForLoop() => new AccessGuard(_tokens, _failures);

        /// <summary>
        /// Judges a request; on None, <paramref name="prefix"/> is what the token's keys must start with
        /// (empty: all), which a listing narrows itself to.
        /// </summary>
        public RejectReason Check(in RequestHead head, ReadOnlySpan<byte> input, Route route, ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> prefix)
        {
            prefix = default;
            if (!_tokens.Enabled)
            {
                return route == Route.Admin ? RejectReason.AdminNeedsToken : RejectReason.None;
            }

            switch (BearerCredentials.Read(head.Authorization, input, out ReadOnlySpan<byte> token))
            {
                case CredentialsKind.None:
                    return RejectReason.MissingToken;
                case CredentialsKind.Malformed:
                    return RejectReason.MalformedAuthorization;
            }

            int entry = _recent.Find(token);
            if (entry < 0)
            {
                entry = _tokens.Find(token);
                if (entry < 0)
                {
                    return RejectReason.UnknownToken;
                }

                _recent.Remember(token, entry);
            }

            TokenScopes needed = route == Route.Admin ? TokenScopes.Admin
                : head.Method is HttpMethod.Get or HttpMethod.Head ? TokenScopes.Read
                : TokenScopes.Write;
            if ((_tokens.ScopesOf(entry) & needed) == 0)
            {
                return needed switch
                {
                    TokenScopes.Read => RejectReason.ReadNotAllowed,
                    TokenScopes.Write => RejectReason.WriteNotAllowed,
                    _ => RejectReason.AdminNotAllowed,
                };
            }

            prefix = _tokens.PrefixOf(entry);
            return route == Route.Key && !key.StartsWith(prefix.Span) ? RejectReason.KeyOutsidePrefix : RejectReason.None;
        }

        /// <summary>Counts and (at most once a second per address) logs a refusal <see cref="Check"/> returned.</summary>
        public void Refused(RejectReason reason, in RequestHead head, ReadOnlySpan<byte> input, string client)
        {
            AccessRefusal kind = reason switch
            {
                RejectReason.MissingToken => AccessRefusal.Missing,
                RejectReason.UnknownToken or RejectReason.MalformedAuthorization => AccessRefusal.Invalid,
                _ => AccessRefusal.Forbidden,
            };
            string why = reason switch
            {
                RejectReason.MissingToken => "no bearer token",
                RejectReason.UnknownToken => "a token that is not configured",
                RejectReason.MalformedAuthorization => "a malformed Authorization field",
                RejectReason.AdminNeedsToken => "an admin endpoint, and no tokens are configured",
                _ => "token '" + NameOf(head, input) + "' " + reason switch
                {
                    RejectReason.ReadNotAllowed => "lacks the read scope",
                    RejectReason.WriteNotAllowed => "lacks the write scope",
                    RejectReason.AdminNotAllowed => "lacks the admin scope",
                    _ => "does not reach the key (outside its prefix)",
                },
            };
            _failures.Refused(kind, client, why, Rejections.For(reason).Status, Environment.TickCount64);
        }

        private string NameOf(in RequestHead head, ReadOnlySpan<byte> input)
        {
            BearerCredentials.Read(head.Authorization, input, out ReadOnlySpan<byte> token);
            int entry = _tokens.Find(token);
            return entry < 0 ? "?" : _tokens.NameOf(entry);
        }
    }
}
