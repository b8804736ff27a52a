using System;
using System.Text;

namespace EmbedKv.Server.Http
{
    /// <summary>The one place that maps a <see cref="RejectReason"/> to its response.</summary>
    internal static class Rejections
    {
        private static readonly Rejection[] Table = Build();

        public static Rejection For(RejectReason reason) => Table[(int)reason];

        private static Rejection[] Build()
        {
            var table = new Rejection[Enum.GetValues<RejectReason>().Length];
            Set(table, RejectReason.RequestLineTooLong, 414, "request line too long", always: true);
            Set(table, RejectReason.HeadersTooLarge, 431, "request header section too large", always: true);
            Set(table, RejectReason.TooManyHeaders, 431, "too many request header fields", always: true);
            Set(table, RejectReason.KeyTooLong, 414, "key too long", always: false);
            Set(table, RejectReason.ValueTooLarge, 413, "value too large", always: true);
            Set(table, RejectReason.ValueTooLargeForBackend, 413, "value too large for this server's backend: etcd takes a request of at most its --max-request-bytes (1.5 MiB by default), key and value together; etcd is for small values (docs/etcd.md)", always: true);
            Set(table, RejectReason.MethodNotAllowed, 405, "method not allowed; use GET, HEAD, PUT, POST or DELETE", always: false, extra: "Allow: GET, HEAD, PUT, POST, DELETE\r\n");
            Set(table, RejectReason.UnknownTransferCoding, 501, "transfer coding not implemented; use chunked", always: true);
            Set(table, RejectReason.VersionNotSupported, 505, "HTTP version not supported; use HTTP/1.1 or HTTP/1.0", always: true);
            Set(table, RejectReason.LengthRequired, 411, "a body needs Content-Length or chunked coding", always: true);
            Set(table, RejectReason.ExpectationFailed, 417, "only Expect: 100-continue is supported", always: false);
            Set(table, RejectReason.BadRequestLine, 400, "malformed request line", always: true);
            Set(table, RejectReason.BadMethod, 400, "malformed method", always: true);
            Set(table, RejectReason.BadTarget, 400, "malformed request target", always: true);
            Set(table, RejectReason.BadPercentEncoding, 400, "malformed percent-encoding in the request target", always: false);
            Set(table, RejectReason.BareLineEnding, 400, "bare CR or LF; lines must end in CRLF", always: true);
            Set(table, RejectReason.ControlCharacter, 400, "control character in the request", always: true);
            Set(table, RejectReason.BadHeaderName, 400, "malformed header field", always: true);
            Set(table, RejectReason.WhitespaceBeforeColon, 400, "whitespace before a header field's colon", always: true);
            Set(table, RejectReason.ObsoleteLineFolding, 400, "folded header field lines are not accepted", always: true);
            Set(table, RejectReason.LengthAndChunked, 400, "both Content-Length and Transfer-Encoding", always: true);
            Set(table, RejectReason.BadContentLength, 400, "malformed Content-Length", always: true);
            Set(table, RejectReason.DuplicateContentLength, 400, "more than one Content-Length", always: true);
            Set(table, RejectReason.BadChunk, 400, "malformed chunked body", always: true);
            Set(table, RejectReason.MissingHost, 400, "HTTP/1.1 requests need a Host header field", always: false);
            Set(table, RejectReason.DuplicateHost, 400, "more than one Host header field", always: true);
            Set(table, RejectReason.BadHost, 400, "malformed Host header field", always: true);
            Set(table, RejectReason.TransferEncodingInHttp10, 400, "Transfer-Encoding is not allowed in HTTP/1.0", always: true);
            Set(table, RejectReason.BadPrecondition, 400, "malformed If-Match or If-None-Match; use * or a list of entity tags", always: false);
            Set(table, RejectReason.TooManyEntityTags, 400, "at most 32 entity tags of this server in one If-Match or If-None-Match", always: false);
            Set(table, RejectReason.BadTimeToLive, 400, "ttl must be whole seconds from 1 to 315360000, given once", always: false);
            Set(table, RejectReason.UnknownQueryParameter, 400, "unknown query parameter; a key takes only ttl, on PUT and POST", always: false);
            Set(table, RejectReason.PreconditionFailed, 412, "precondition failed: the key's current version does not match If-Match or If-None-Match", always: false);
            Set(table, RejectReason.BadListingQuery, 400, "a listing takes prefix and after (percent-encoded keys) and limit (1 to 10000), each once", always: false);
            Set(table, RejectReason.ListingMethodNotAllowed, 405, "method not allowed on the listing; use GET or HEAD", always: false, extra: "Allow: GET, HEAD\r\n");
            Set(table, RejectReason.TlsOnPlainPort, 400, "this port speaks plain HTTP, not TLS", always: true);
            Set(table, RejectReason.ServerBusy, 503, "too many connections; try again later", always: true, extra: "Retry-After: 1\r\n");
            Set(table, RejectReason.MissingToken, 401, "a bearer token is needed: Authorization: Bearer TOKEN", always: false, extra: Challenge(null));
            Set(table, RejectReason.UnknownToken, 401, "the bearer token is not known", always: false, extra: Challenge("error=\"invalid_token\""));
            Set(table, RejectReason.MalformedAuthorization, 400, "malformed Authorization; send Authorization: Bearer TOKEN, on one line", always: false, extra: Challenge("error=\"invalid_request\""));
            Set(table, RejectReason.ReadNotAllowed, 403, "the token does not allow reading (it lacks the read scope)", always: false, extra: Challenge("error=\"insufficient_scope\", scope=\"read\""));
            Set(table, RejectReason.WriteNotAllowed, 403, "the token does not allow writing (it lacks the write scope)", always: false, extra: Challenge("error=\"insufficient_scope\", scope=\"write\""));
            Set(table, RejectReason.AdminNotAllowed, 403, "the token does not allow admin endpoints (it lacks the admin scope)", always: false, extra: Challenge("error=\"insufficient_scope\", scope=\"admin\""));
            Set(table, RejectReason.KeyOutsidePrefix, 403, "the token does not reach this key: it is limited to a key prefix", always: false);
            Set(table, RejectReason.AdminNeedsToken, 403, "admin endpoints need a token with the admin scope, and no tokens are configured", always: false);
            Set(table, RejectReason.UnknownAdminEndpoint, 404, "no such admin endpoint; keys starting with _admin/ are reserved (there is POST /_admin/checkpoint?dir=PATH)", always: false);
            Set(table, RejectReason.AdminMethodNotAllowed, 405, "method not allowed on an admin endpoint; use POST", always: false, extra: "Allow: POST\r\n");
            Set(table, RejectReason.BadCheckpointQuery, 400, "a checkpoint takes dir, an absolute path (percent-encoded), once", always: false);
            return table;
        }

        /// <summary>The WWW-Authenticate challenge of RFC 6750 §3, with an error code when one applies.</summary>
        private static string Challenge(string? error) => "WWW-Authenticate: Bearer realm=\"embedkv\"" + (error is null ? string.Empty : ", " + error) + "\r\n";

        private static void Set(Rejection[] table, RejectReason reason, int status, string text, bool always, string extra = "")
            => table[(int)reason] = new Rejection(status, Encoding.ASCII.GetBytes(extra), Encoding.ASCII.GetBytes(text + "\n"), always);
    }

    /// <summary>A prebuilt refusal: status, extra header lines, a short text body, and whether the connection must close.</summary>
    /// <param name="Status">The status code.</param>
    /// <param name="ExtraHeaders">Header lines beyond the standard ones (CRLF-terminated), such as Allow.</param>
    /// <param name="Body">The text/plain body.</param>
    /// <param name="AlwaysClose">
    /// True when the stream is in doubt whatever the request (we cannot tell where it ends); otherwise the
    /// connection closes only if the request had a body that will not be read.
    /// </param>
    internal sealed record Rejection(int Status, byte[] ExtraHeaders, byte[] Body, bool AlwaysClose);
}
