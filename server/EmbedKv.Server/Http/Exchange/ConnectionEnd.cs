namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>
    /// How an exchange ends its connection (RFC 9112 §9.6). Once it decides to close, nothing after the
    /// deciding request is read: its answers go out, then the connection closes at once, or, if request
    /// bytes were dropped or may still be arriving, lingers: our side is shut down and whatever comes is
    /// read and dropped until the client closes, for at most 5 s or BodyTimeout if shorter. Closing at once
    /// with bytes unread makes the kernel send a reset, and a client still writing its body (HttpClient
    /// without Expect: 100-continue) got "broken pipe" instead of ever reading its 413. A struct inside
    /// its <see cref="RequestCycle"/>, as every idle connection carries one.
    /// </summary>
    internal struct ConnectionEnd
    {
        private readonly ConnectionBuffers _buffers;
        private readonly IExchangeTransport _transport;
        private bool _linger;

        public ConnectionEnd(ConnectionBuffers buffers, IExchangeTransport transport)
        {
            _buffers = buffers;
            _transport = transport;
            _linger = false;
            Decided = false;
        }

        /// <summary>The connection closes once its answers are out.</summary>
        public bool Decided { get; private set; }

        /// <summary>A new connection: nothing decided.</summary>
        public void Reset()
        {
            Decided = false;
            _linger = false;
        }

        /// <summary>The request asked for the close (or the server is stopping): answers first, then close.</summary>
        public void AfterAnswers() => Decided = true;

        /// <summary>A refusal left the stream in doubt: the rest of the input is dropped, and the close lingers.</summary>
        public void AfterAnswersLingering()
        {
            Decided = true;
            _linger = true;
            _buffers.DropInput();
        }

        /// <summary>Pipelined bytes after the deciding request are dropped, unprocessed; the close then lingers.</summary>
        public void DropPipelined()
        {
            if (_buffers.HasInput)
            {
                _buffers.DropInput();
                _linger = true;
            }
        }

        /// <summary>The answers are out: closes, or starts lingering and returns true.</summary>
        public bool Finish(long now, ref ExchangeDeadline deadline)
        {
            if (!_linger)
            {
                _transport.Close();
                return false;
            }

            Reset();
            _buffers.DropInput();
            _transport.ShutdownOutput();
            deadline.AwaitLingerEnd(now);
            return true;
        }

        /// <summary>Lingering: drops what arrived; false once the deadline passed and the connection closed.</summary>
        public readonly bool Drain(long now, in ExchangeDeadline deadline)
        {
            _buffers.DropInput();
            if (!deadline.Passed(now))
            {
                return true;
            }

            // A client that never stops sending is not drained forever.
            _transport.Close();
            return false;
        }
    }
}
