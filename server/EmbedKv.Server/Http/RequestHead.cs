namespace EmbedKv.Server.Http
{
    /// <summary>
    /// What the parser learned from a request's head. The key is not copied: it is a range of the
    /// connection's buffer, still percent-encoded, decoded by <see cref="KeyDecoder"/> when used.
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

        /// <summary>Whether the request carries a body to read (or to discard).</summary>
        public readonly bool HasBody => Chunked || ContentLength > 0;
    }
}
