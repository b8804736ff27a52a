namespace EmbedKv.Server.Http
{
    /// <summary>
    /// What the parser learned from a request's head. Nothing is copied: the key, the query and the
    /// field values the handler reads are ranges of the buffer the head was parsed from (offsets from
    /// its start), valid as long as those bytes are; the key and query are still percent-encoded,
    /// decoded by <see cref="KeyDecoder"/> when used.
    /// </summary>
    internal struct RequestHead
    {
        public HttpMethod Method;

        /// <summary>HTTP/1.1 (otherwise 1.0).</summary>
        public bool Http11;

        /// <summary>Whether the connection stays open after the response (version default, then Connection).</summary>
        public bool KeepAlive;

        /// <summary>The client waits for "100 Continue" before sending the body.</summary>
        public bool ExpectContinue;

        /// <summary>An Expect other than 100-continue came: 417 once the rest of the head has been judged (RFC 9110 §10.1.1).</summary>
        public bool UnknownExpectation;

        /// <summary>The body uses the chunked transfer coding.</summary>
        public bool Chunked;

        /// <summary>The Content-Length, or -1 if none was given.</summary>
        public long ContentLength;

        /// <summary>Offset of the encoded key (the path after its first '/') in the parsed buffer.</summary>
        public int KeyOffset;

        /// <summary>Length of the encoded key.</summary>
        public int KeyLength;

        /// <summary>The target has a query ('?' in origin-form or absolute-form), even an empty one.</summary>
        public bool HasQuery;

        /// <summary>Offset of the raw query (after the '?', which it excludes) in the parsed buffer.</summary>
        public int QueryOffset;

        /// <summary>Length of the raw query; 0 when there is none or it is empty.</summary>
        public int QueryLength;

        /// <summary>The head's length in bytes, empty line included: where the body starts.</summary>
        public int HeadLength;

        /// <summary>If-Match (RFC 9110 §13.1.1); the parser has checked every line is "*" / #entity-tag.</summary>
        public FieldRef IfMatch;

        /// <summary>If-None-Match (RFC 9110 §13.1.2); the parser has checked every line is "*" / #entity-tag.</summary>
        public FieldRef IfNoneMatch;

        /// <summary>If-Range (RFC 9110 §13.1.5), unchecked: an entity-tag or an HTTP-date; on more than one line it is neither.</summary>
        public FieldRef IfRange;

        /// <summary>Range (RFC 9110 §14.2), unchecked: the handler ignores what it cannot serve, more than one line included.</summary>
        public FieldRef Range;

        /// <summary>Prefer (RFC 7240), unchecked: preferences are ignored, never refused.</summary>
        public FieldRef Prefer;

        /// <summary>If-Modified-Since (RFC 9110 §13.1.3), unchecked: an invalid date, or more than one, MUST be ignored.</summary>
        public FieldRef IfModifiedSince;

        /// <summary>If-Unmodified-Since (RFC 9110 §13.1.4), unchecked: an invalid date, or more than one, MUST be ignored.</summary>
        public FieldRef IfUnmodifiedSince;

        /// <summary>Authorization (RFC 9110 §11.6.2), unchecked: the handler reads it (<see cref="BearerCredentials"/>) when tokens are configured.</summary>
        public FieldRef Authorization;

        /// <summary>Whether the request carries a body to read (or to discard).</summary>
        public readonly bool HasBody => Chunked || ContentLength > 0;
    }
}
