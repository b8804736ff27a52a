namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>Whether a handler answered at once or answers later.</summary>
    internal enum HandlerReply : byte
    {
        /// <summary>The answer is queued: the exchange goes on to the next request.</summary>
        Answered,

        /// <summary>The answer comes later (a write the store completes); then <see cref="Http1Exchange.Complete"/>.</summary>
        Pending,
    }

    /// <summary>
    /// The application behind an <see cref="Http1Exchange"/>, as IHttpApplication is behind Kestrel's: the
    /// exchange frames requests and their bodies, the handler decides what the target and the body mean
    /// and answers through the exchange's <see cref="ResponseComposer"/>.
    /// </summary>
    internal interface IRequestHandler
    {
        /// <summary>The longest body the handler takes (413 beyond, also when a chunked body outgrows it).</summary>
        long MaxBodyLength { get; }

        /// <summary>
        /// A head parsed: accepts it, or names the refusal (a target or a declared body the handler cannot
        /// take). <paramref name="input"/> is the input the head was parsed from; the target lies in it.
        /// </summary>
        RejectReason Accept(in RequestHead head, System.ReadOnlySpan<byte> input);

        /// <summary>Whether the request's body is given to the handler; otherwise it is read and dropped.</summary>
        bool TakesBody(HttpMethod method);

        /// <summary>
        /// More of the body. False if the handler refused it and already queued its answer (with
        /// Connection: close): the exchange then stops reading the body, and lingers.
        /// </summary>
        bool Append(System.ReadOnlySpan<byte> data);

        /// <summary>The head and any body are in: answer, now or later.</summary>
        HandlerReply Respond();

        /// <summary>The request is abandoned (a framing error, a timeout, the connection closing): drop what it started.</summary>
        void Abort();
    }
}
