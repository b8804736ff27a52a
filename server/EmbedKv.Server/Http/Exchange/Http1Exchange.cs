namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>
    /// One connection's HTTP/1.1 exchange, in the manner of Kestrel's Http1Connection: it runs the
    /// <see cref="RequestCycle"/> (heads, bodies, the <see cref="IRequestHandler"/>, answers in order) over
    /// an <see cref="IExchangeTransport"/>, receiving when the cycle needs input, sending when it has
    /// answers, and yielding when the turn's budget is spent. Through the transport interface it runs the
    /// same over a socket and over memory (the exchange tests). Reused for each new connection.
    /// </summary>
    internal sealed class Http1Exchange
    {
        private readonly ConnectionBuffers _buffers;
        private readonly ResponseComposer _responses;
        private IExchangeTransport _transport;
        private readonly RequestCycle _requests;

        public Http1Exchange(ExchangeContext context, ConnectionBuffers buffers, ResponseComposer responses, IRequestHandler handler, IExchangeTransport transport)
        {
            _buffers = buffers;
            _responses = responses;
            _transport = transport;
            _requests = new RequestCycle(context, buffers, responses, handler, transport);
        }

        /// <summary>Monotonic milliseconds after which the connection is closed (slowloris, idle, stalled body or answer).</summary>
        public long Deadline => _requests.Deadline.At;

        /// <summary>
        /// The last drive stopped on its turn's budget with work left (input unread, requests unparsed, a value
        /// unsent). Edge-triggered readiness will not report that work again, so it must be driven again.
        /// </summary>
        public bool Yielded { get; private set; }

        /// <summary>The handler is answering later: the deadline does not apply (the store's write is under way).</summary>
        public bool AwaitsHandler => _requests.AwaitsHandler;

        /// <summary>A request is under way (its head started arriving, or it is being answered).</summary>
        public bool Busy => _requests.InRequest || _buffers.HasOutput || _transport.SendingValue;

        /// <summary>Some byte of the current answer could still be replaced by a 500 (see <see cref="AnswerFault"/>).</summary>
        public bool CanStillAnswer => !_buffers.AnswerSent && _buffers.IsAttached && !_requests.Lingering;

        /// <summary>Whether the connection lingers (see <see cref="ConnectionEnd"/>).</summary>
        public bool Lingering => _requests.Lingering;

        /// <summary>
        /// What the connection keeps while this exchange goes back to the pool (see <see cref="Resume"/>): the
        /// deadline, lingering, and, while the handler owes an answer (a long-poll), the request it is for.
        /// </summary>
        public SuspendedExchange Suspend() => new SuspendedExchange(_requests.Deadline)
        {
            Lingering = _requests.Lingering,
            AwaitsHandler = _requests.AwaitsHandler,
            Request = _responses.Request,
        };

        /// <summary>A new connection.</summary>
        public void Start(long now) => _requests.Start(now);

        /// <summary>
        /// Takes up a connection on <paramref name="transport"/> where an exchange set aside left it
        /// (<see cref="Suspend"/>): between requests, or owing the answer to a request that waits. Exchanges are
        /// pooled by the loop, so an idle connection, or one whose request waits, holds none.
        /// </summary>
        public void Resume(IExchangeTransport transport, in SuspendedExchange suspended)
        {
            _transport = transport;
            Yielded = false;
            _requests.Resume(transport, suspended);
        }

        /// <summary>Reads, parses, answers and sends until the transport or the handler makes it wait.</summary>
        public void Drive(long now)
        {
            Yielded = false;
            _requests.BeginTurn();
            while (_transport.IsOpen)
            {
                ExchangeStep step = _requests.Next(now);
                if (step == ExchangeStep.Progress)
                {
                    continue;
                }

                if (!Send(now))
                {
                    return; // the transport is full (writability will call back) or closed
                }

                if (_requests.Closing)
                {
                    if (!_requests.Ending(now))
                    {
                        return;
                    }

                    continue;
                }

                if (step == ExchangeStep.Drain)
                {
                    // The output is out: go back to the pipelined requests already read. Going on to
                    // Receive instead left them stranded when the socket had nothing new (EAGAIN), since
                    // edge-triggered epoll never reports those bytes again (GET then GET in one write hung).
                    continue;
                }

                if (step == ExchangeStep.Wait)
                {
                    return;
                }

                if (step == ExchangeStep.Yield || (_transport.TurnBytesSpent && !_transport.InputDrained))
                {
                    Yielded = true;
                    return;
                }

                if (_transport.InputDrained || !Receive())
                {
                    ReleaseBuffersIfIdle();
                    return;
                }
            }
        }

        /// <summary>The handler queued the answer it owed (see <see cref="HandlerReply.Pending"/>): go on.</summary>
        public void Complete(long now)
        {
            _requests.Complete(now);
            Drive(now);
        }

        /// <summary>The connection closed: whatever the request started is dropped.</summary>
        public void Reset() => _requests.Reset();

        /// <summary>
        /// Serving the connection threw, so its state is in doubt: drops what was queued of the current
        /// answer and queues a 500 with Connection: close if there is room. Answers queued before it stay.
        /// </summary>
        public bool AnswerFault()
        {
            _buffers.DropAnswer();
            if (_buffers.OutputRoom.Length < 512)
            {
                return false;
            }

            _responses.Text(500, "the request could not be served\n"u8, close: true);
            return true;
        }

        /// <summary>Sends the output; false if the connection must wait for writability, or closed.</summary>
        private bool Send(long now)
        {
            switch (_transport.Send())
            {
                case SendStatus.Nothing:
                    return true;
                case SendStatus.Sent:
                    if (_requests.BetweenRequests)
                    {
                        // Idle from when the answer has gone out, not from when it was queued.
                        _requests.Deadline.AwaitIdle(now);
                    }

                    return true;
                case SendStatus.Stalled:
                    // An answer still going out is not idle: it is held to BodyTimeout for progress, as a
                    // request body is. It used to keep the IdleTimeout deadline EndRequest set, so a client that
                    // paused reading a large value for longer than IdleTimeout had its download cut short.
                    _requests.Deadline.AwaitProgress(now);
                    return false;
                case SendStatus.Yield:
                    // A fast reader of a large value would otherwise keep the loop sending it to the end.
                    Yielded = true;
                    _requests.Deadline.AwaitProgress(now);
                    return false;
                default:
                    return false; // Full (writability calls back), or Closed
            }
        }

        private bool Receive()
        {
            ReceiveStatus status = _transport.Receive();
            return status is ReceiveStatus.Received or ReceiveStatus.NoRoom;
        }

        /// <summary>An idle keep-alive connection holds no buffer.</summary>
        private void ReleaseBuffersIfIdle()
        {
            if (_transport.IsOpen && !Busy && !_buffers.HasInput)
            {
                _transport.ReleaseBuffers();
            }
        }
    }
}
