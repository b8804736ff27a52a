namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>
    /// What an exchange set aside by its connection must resume with (see <see cref="Http1Exchange.Suspend"/>):
    /// its deadline, whether it lingers, and, if the handler owes an answer it gives later (a long-poll),
    /// the request being answered. Exchanges are pooled by the loop, so a connection between requests, or
    /// with a request that waits, keeps only this. A struct in the connection: it costs no object.
    /// </summary>
    internal struct SuspendedExchange
    {
        public SuspendedExchange(ExchangeDeadline deadline) => Deadline = deadline;

        public ExchangeDeadline Deadline;

        public bool Lingering;

        /// <summary>The handler owes the current request's answer (<see cref="HandlerReply.Pending"/>).</summary>
        public bool AwaitsHandler;

        /// <summary>The request that answer is for, as the composer took it from the head.</summary>
        public AnsweredRequest Request;
    }
}
