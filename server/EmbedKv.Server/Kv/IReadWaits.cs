namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// Where the key-value handler parks a GET that waits for its key to change (a long-poll,
    /// <c>Prefer: wait</c>): its connection, which keeps the <see cref="ReadWait"/> while the exchange and
    /// its block go back to the loop, and gives it back to the handler (<see cref="KvHandler.AnswerWait"/>)
    /// when the key changes, its value expires, or the wait is up.
    /// </summary>
    internal interface IReadWaits
    {
        /// <summary>A record for the read that is about to wait; the handler fills it, then calls <see cref="Park"/>.</summary>
        ReadWait BeginWait();

        /// <summary>
        /// The read in the record from <see cref="BeginWait"/> waits from now on (the handler returned
        /// <see cref="Http.Exchange.HandlerReply.Pending"/>). If the key changed since the handler looked, it is
        /// answered at once.
        /// </summary>
        void Park();
    }
}
