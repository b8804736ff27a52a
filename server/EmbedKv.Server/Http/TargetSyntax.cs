using System;
using System.Buffers;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// The bytes a request target's path and query may hold (RFC 9112 §3.2, RFC 3986 §3.3, §3.4):
    /// <code>
    /// path-abempty = *( "/" segment )      segment = *pchar
    /// query        = *( pchar / "/" / "?" )
    /// pchar        = unreserved / pct-encoded / sub-delims / ":" / "@"
    /// unreserved   = ALPHA / DIGIT / "-" / "." / "_" / "~"
    /// sub-delims   = "!" / "$" / "&amp;" / "'" / "(" / ")" / "*" / "+" / "," / ";" / "="
    /// </code>
    /// Everything else is refused (400): <c>" &lt; &gt; \ ^ ` { | }</c>, <c>[ ]</c> (only an IP literal's
    /// authority may hold them), <c>#</c> (a fragment is never sent, RFC 9110 §7.1), and every byte from
    /// 0x80: a client percent-encodes them. Before this check they became bytes of the key, each
    /// client's own guess at an encoding. Whether each '%' starts a pct-encoded triplet is checked apart
    /// (<see cref="KeyDecoder.DecodedLength"/>), once the target's parts are known.
    /// </summary>
    internal static class TargetSyntax
    {
        private static readonly SearchValues<byte> Allowed = SearchValues.Create(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~%!$&'()*+,;=:@/?"u8);

        /// <summary>Whether every byte of a target's path and query (after any scheme and authority) is allowed.</summary>
        public static bool IsPathAndQuery(ReadOnlySpan<byte> text) => text.IndexOfAnyExcept(Allowed) < 0;
    }
}
