namespace EmbedKv.Server.Http
{
    /// <summary>
    /// Why a request was refused. The parser returns one of these instead of throwing, so even the
    /// error path allocates nothing; <see cref="Rejections"/> maps each to its status and prebuilt
    /// response in one place. Each member cites the rule it enforces.
    /// </summary>
    internal enum RejectReason : byte
    {
        /// <summary>Not rejected.</summary>
        None,

        /// <summary>The request line is longer than the limit (RFC 9112 §3: 414 for a too-long target).</summary>
        RequestLineTooLong,

        /// <summary>The header section is larger than the limit (RFC 6585 §5: 431).</summary>
        HeadersTooLarge,

        /// <summary>More header fields than the limit (RFC 6585 §5: 431).</summary>
        TooManyHeaders,

        /// <summary>The key is longer than the store allows (RFC 9110 §15.5.15: 414 URI Too Long).</summary>
        KeyTooLong,

        /// <summary>The declared body is larger than the largest value (RFC 9110 §15.5.14: 413, answered before reading it).</summary>
        ValueTooLarge,

        /// <summary>The declared body is larger than the store behind the server takes in one request (etcd's request limit; RFC 9110 §15.5.14: 413).</summary>
        ValueTooLargeForBackend,

        /// <summary>A method the server does not offer on keys (RFC 9110 §15.5.6: 405 with Allow).</summary>
        MethodNotAllowed,

        /// <summary>A transfer coding other than chunked (RFC 9112 §6.1: 501 Not Implemented).</summary>
        UnknownTransferCoding,

        /// <summary>An HTTP version other than 1.0 and 1.1 (RFC 9110 §15.6.6: 505).</summary>
        VersionNotSupported,

        /// <summary>A PUT or POST without Content-Length or chunked coding (RFC 9110 §15.5.12: 411).</summary>
        LengthRequired,

        /// <summary>An Expect other than 100-continue (RFC 9110 §10.1.1: 417).</summary>
        ExpectationFailed,

        /// <summary>The request line is not method SP target SP version (RFC 9112 §3).</summary>
        BadRequestLine,

        /// <summary>The method is not a token (RFC 9110 §9.1, §5.6.2).</summary>
        BadMethod,

        /// <summary>
        /// The target is neither origin-form nor absolute-form (RFC 9112 §3.2), or its authority is not
        /// uri-host [ ":" port ]: empty (RFC 9110 §4.2.1: MUST reject), with userinfo (RFC 9110 §4.2.4),
        /// or outside RFC 3986 §3.2.2 (see <see cref="HostSyntax"/>); or its path or query holds a byte
        /// RFC 3986 §3.3, §3.4 does not allow there: <c>" &lt; &gt; \ ^ ` { | } [ ] #</c> or one from 0x80
        /// (see <see cref="TargetSyntax"/>).
        /// </summary>
        BadTarget,

        /// <summary>A '%' not followed by two hex digits in the target's path or query (RFC 3986 §2.1).</summary>
        BadPercentEncoding,

        /// <summary>A bare CR or LF where CRLF is due (RFC 9112 §2.2: a recipient may reject it; we do).</summary>
        BareLineEnding,

        /// <summary>NUL or another control character in a field value or the target (RFC 9110 §5.5).</summary>
        ControlCharacter,

        /// <summary>A header name that is not a token (RFC 9110 §5.1).</summary>
        BadHeaderName,

        /// <summary>Whitespace between a field name and its colon (RFC 9112 §5.1: MUST reject with 400).</summary>
        WhitespaceBeforeColon,

        /// <summary>A header line folded onto the next (obs-fold, RFC 9112 §5.2: may reject with 400).</summary>
        ObsoleteLineFolding,

        /// <summary>Both Content-Length and Transfer-Encoding (RFC 9112 §6.1: a smuggling vector; reject and close).</summary>
        LengthAndChunked,

        /// <summary>Content-Length not a decimal number (RFC 9110 §8.6).</summary>
        BadContentLength,

        /// <summary>Content-Length given twice (RFC 9112 §6.3 rule 5: differing values are unrecoverable; we refuse any repeat).</summary>
        DuplicateContentLength,

        /// <summary>
        /// Chunked framing outside RFC 9112 §7.1 (see <see cref="ChunkedDecoder"/>): a chunk-size that is
        /// empty, not hex or over 10 digits; whitespace after it (our narrowing of §7.1.1's BWS, where
        /// parsers disagree); a chunk-ext that is not ";" token [ "=" ( token / quoted-string ) ] (§7.1.1);
        /// data not followed by exactly CRLF; a trailer field that is not token ":" field-value (§7.1.2,
        /// RFC 9110 §5.5: no CTL but HTAB, no DEL, no obs-fold); a bare CR or LF; more than 16 KiB of
        /// extensions or trailers. Also a Transfer-Encoding list that is empty or repeats chunked (§6.1).
        /// </summary>
        BadChunk,

        /// <summary>No Host in an HTTP/1.1 request (RFC 9112 §3.2: MUST respond 400).</summary>
        MissingHost,

        /// <summary>More than one Host field (RFC 9112 §3.2: MUST respond 400).</summary>
        DuplicateHost,

        /// <summary>
        /// A Host that is not uri-host [ ":" port ] (RFC 9110 §7.2, RFC 3986 §3.2.2; RFC 9112 §3.2: MUST
        /// respond 400): whitespace, "@", "/", "?", "#", a bad bracket or IP literal, a non-digit port.
        /// </summary>
        BadHost,

        /// <summary>
        /// Transfer-Encoding in an HTTP/1.0 request (RFC 9112 §6.1: MUST be treated as faulty framing and
        /// the connection closed): refused with 400, whatever coding it names.
        /// </summary>
        TransferEncodingInHttp10,

        /// <summary>
        /// An If-Match or If-None-Match that is not "*" / #entity-tag (RFC 9110 §13.1.1, §13.1.2, §8.8.3),
        /// over all its lines: a bad entity-tag (a weak prefix that is not "W/", a missing quote, a byte
        /// that is not etagc), tags without a comma between them, or "*" with anything else.
        /// </summary>
        BadPrecondition,

        /// <summary>
        /// More than <c>RequestConditions.MaxVersions</c> of our entity-tags in one If-Match or If-None-Match: a
        /// limit of ours (docs/api.md), answered 400 like any other request we cannot take as sent.
        /// </summary>
        TooManyEntityTags,

        /// <summary>
        /// A ttl that is not whole seconds from 1 to 315360000, or given twice (docs/api.md, "Expiry"): 400,
        /// nothing stored.
        /// </summary>
        BadTimeToLive,

        /// <summary>
        /// A query parameter the route does not take (docs/api.md, "Keys and targets"): 400 rather than
        /// ignored, so a misspelt parameter is never taken for obeyed.
        /// </summary>
        UnknownQueryParameter,

        /// <summary>
        /// A write whose If-Match or If-None-Match fails before its body is read (Expect: 100-continue): RFC
        /// 9110 §13.1.1-2 and §10.1.1, 412 instead of 100 Continue.
        /// </summary>
        PreconditionFailed,

        /// <summary>
        /// A listing query parameter other than prefix, after (each a key, percent-encoded) and limit (1 to
        /// 10000), given twice, or malformed (docs/api.md, "Listing"): 400.
        /// </summary>
        BadListingQuery,

        /// <summary>A method other than GET and HEAD on "/", the listing (RFC 9110 §15.5.6: 405 with Allow).</summary>
        ListingMethodNotAllowed,

        /// <summary>A TLS ClientHello on the plain-text port.</summary>
        TlsOnPlainPort,

        /// <summary>Too many open connections (RFC 9110 §15.6.4: 503).</summary>
        ServerBusy,

        /// <summary>
        /// Tokens are configured and the request carries no Bearer credentials, or another scheme's (RFC 6750
        /// §3.1, RFC 9110 §15.5.2: 401 with a WWW-Authenticate challenge and no error code).
        /// </summary>
        MissingToken,

        /// <summary>A Bearer token that is not configured (RFC 6750 §3.1 invalid_token: 401).</summary>
        UnknownToken,

        /// <summary>
        /// Bearer credentials that are not "Bearer" 1*SP b64token, or Authorization on more than one line
        /// (RFC 6750 §2.1 and §3.1 invalid_request: 400).
        /// </summary>
        MalformedAuthorization,

        /// <summary>A known token without the read scope, for GET or HEAD (RFC 6750 §3.1 insufficient_scope: 403).</summary>
        ReadNotAllowed,

        /// <summary>A known token without the write scope, for PUT, POST or DELETE (RFC 6750 §3.1 insufficient_scope: 403).</summary>
        WriteNotAllowed,

        /// <summary>A known token without the admin scope, on an admin endpoint (RFC 6750 §3.1 insufficient_scope: 403).</summary>
        AdminNotAllowed,

        /// <summary>A known token limited to a key prefix, on a key outside it (RFC 9110 §15.5.4: 403).</summary>
        KeyOutsidePrefix,

        /// <summary>An admin endpoint on a server with no tokens: it needs an admin token, and there is none (RFC 9110 §15.5.4: 403).</summary>
        AdminNeedsToken,

        /// <summary>A path under /_admin/ that names no endpoint (RFC 9110 §15.5.5: 404); keys starting "_admin/" are reserved.</summary>
        UnknownAdminEndpoint,

        /// <summary>A method other than POST on an admin endpoint (RFC 9110 §15.5.6: 405 with Allow).</summary>
        AdminMethodNotAllowed,

        /// <summary>A checkpoint without dir, an absolute path, given once; or another parameter (docs/api.md, "Checkpoints"): 400.</summary>
        BadCheckpointQuery,
    }
}
