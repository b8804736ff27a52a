using System;

namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>
    /// One connection's HTTP/1.1 exchange, in the manner of Kestrel's Http1Connection: it parses request
    /// heads from the input, frames their bodies (Content-Length, chunked, 100-continue), hands them to its
    /// <see cref="IRequestHandler"/>, answers in order (pipelining), and decides persistence, lingering
    /// close and deadlines. Bytes come and go through an <see cref="IExchangeTransport"/>, so the exchange
    /// runs the same over a socket and over memory (the exchange tests). Reused for each new connection.
    /// </summary>
    internal sealed class Http1Exchange
    {
        // Longest lingering close (see StartLinger).
        private const long LingerMilliseconds = 5000;

        // Requests one connection may start in one readiness turn before the loop serves the others (the
        // byte budget is the transport's).
        private const int TurnRequestBudget = 32;

        // Room an answer needs in the output before the next pipelined request is parsed.
        private const int AnswerRoom = 1024;

        private readonly ExchangeContext _context;
        private readonly ConnectionBuffers _buffers;
        private readonly ResponseComposer _responses;
        private readonly IRequestHandler _handler;
        private readonly IExchangeTransport _transport;
        private Phase _phase;
        private RequestHead _head;
        private BodyReader _body;
        private bool _discardBody;
        private bool _closeAfterSend;
        private bool _lingerAfterSend;
        private bool _requestStarted;
        private int _turnRequests;

        public Http1Exchange(ExchangeContext context, ConnectionBuffers buffers, ResponseComposer responses, IRequestHandler handler, IExchangeTransport transport)
        {
            _context = context;
            _buffers = buffers;
            _responses = responses;
            _handler = handler;
            _transport = transport;
        }

        private enum Phase : byte
        {
            Head,
            Body,

            // The handler answers later (the store is writing).
            Handler,

            // Answered and half-closed after a refusal that left request bytes unread: input is read and
            // dropped until the client closes or the deadline passes (see StartLinger).
            Linger,
        }

        private enum Step : byte
        {
            Progress,
            NeedInput,
            Wait,

            // This turn's budget is spent: send what is ready, then let the loop serve other connections.
            Yield,

            // Requests are waiting in the input, but the output must go out first (a value being sent,
            // or the output area nearly full).
            Drain,
        }

        /// <summary>Monotonic milliseconds after which the connection is closed (slowloris, idle, stalled body or answer).</summary>
        public long Deadline { get; private set; }

        /// <summary>
        /// The last drive stopped on its turn's budget with work left (input unread, requests unparsed, a value
        /// unsent). Edge-triggered readiness will not report that work again, so it must be driven again.
        /// </summary>
        public bool Yielded { get; private set; }

        /// <summary>The handler is answering later: the deadline does not apply (the store's write is under way).</summary>
        public bool AwaitsHandler => _phase == Phase.Handler;

        /// <summary>A request is under way (its head started arriving, or it is being answered).</summary>
        public bool Busy => _requestStarted || _phase is Phase.Body or Phase.Handler || _buffers.HasOutput || _transport.SendingValue;

        /// <summary>Some byte of the current answer could still be replaced by a 500 (see <see cref="AnswerFault"/>).</summary>
        public bool CanStillAnswer => !_buffers.AnswerSent && _buffers.IsAttached && _phase != Phase.Linger;

        private bool CanStartAnswer => !_transport.SendingValue && _buffers.OutputRoom.Length >= AnswerRoom;

        /// <summary>A new connection: its first request's head is due within HeaderTimeout.</summary>
        public void Start(long now)
        {
            _phase = Phase.Head;
            _closeAfterSend = false;
            _lingerAfterSend = false;
            _requestStarted = false;
            AwaitHead(now);
        }

        /// <summary>Reads, parses, answers and sends until the transport or the handler makes it wait.</summary>
        public void Drive(long now)
        {
            Yielded = false;
            _turnRequests = 0;
            while (_transport.IsOpen)
            {
                Step step = _phase switch
                {
                    Phase.Head when _closeAfterSend => DropInputAfterClose(),
                    Phase.Head when _buffers.HasInput => !CanStartAnswer ? Step.Drain : _turnRequests >= TurnRequestBudget ? Step.Yield : ParseHead(now),
                    Phase.Body when _buffers.HasInput => ReadBody(now),
                    Phase.Handler => Step.Wait,
                    Phase.Linger => Discard(now),
                    _ => Step.NeedInput,
                };

                if (step == Step.Progress)
                {
                    continue;
                }

                if (!Send(now))
                {
                    return; // the transport is full (writability will call back) or closed
                }

                if (_closeAfterSend)
                {
                    if (!_lingerAfterSend)
                    {
                        _transport.Close();
                        return;
                    }

                    StartLinger(now);
                    continue;
                }

                if (step == Step.Drain)
                {
                    // The output is out: go back to the pipelined requests already read. Going on to
                    // Receive instead left them stranded when the socket had nothing new (EAGAIN), since
                    // edge-triggered epoll never reports those bytes again (GET then GET in one write hung).
                    continue;
                }

                if (step == Step.Wait)
                {
                    return;
                }

                if (step == Step.Yield || (_transport.TurnBytesSpent && !_transport.InputDrained))
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
            _phase = Phase.Head;
            EndRequest(now);
            Drive(now);
        }

        /// <summary>The connection closed: whatever the request started is dropped.</summary>
        public void Reset()
        {
            _phase = Phase.Head;
            _requestStarted = false;
            _handler.Abort();
        }

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

        private Step ParseHead(long now)
        {
            if (!_requestStarted)
            {
                // The first byte of a request starts the clock on its head (slowloris).
                _requestStarted = true;
                _responses.Begin();
                AwaitHead(now);
            }

            ReadOnlySpan<byte> input = _buffers.Unread;
            ParseStatus status = RequestParser.TryParse(input, _context.Limits, out _head, out int consumed, out RejectReason reason);
            if (status == ParseStatus.Incomplete)
            {
                _buffers.CompactInput();
                return Step.NeedInput;
            }

            _responses.For(in _head);
            if (status == ParseStatus.Complete)
            {
                // The handler judges the target and the declared body; an unknown expectation is refused
                // only after that (RFC 9110 §10.1.1), as the parser used to order it.
                reason = _handler.Accept(in _head, input);
                if (reason == RejectReason.None && _head.UnknownExpectation)
                {
                    reason = RejectReason.ExpectationFailed;
                }
            }

            _buffers.Consume(consumed);
            if (reason != RejectReason.None)
            {
                Reject(reason, _head.HasBody || consumed == 0);
                return Step.Progress;
            }

            _turnRequests++;
            StartRequest(now);
            return Step.Progress;
        }

        private void StartRequest(long now)
        {
            bool takesBody = _handler.TakesBody(_head.Method);
            if (!_head.HasBody && !takesBody)
            {
                Respond(now);
                return;
            }

            _phase = Phase.Body;
            _discardBody = !takesBody;
            _body.Start(in _head);
            AwaitBody(now);
            if (_head.ExpectContinue && !_buffers.HasInput)
            {
                _responses.Continue();
            }

            if (_body.Empty)
            {
                Respond(now);
            }
        }

        private Step ReadBody(long now)
        {
            AwaitBody(now);
            ReadOnlySpan<byte> input = _buffers.Unread;
            BodyStatus status = _body.Read(input, out int consumed, out int dataStart, out int dataLength);
            if (status == BodyStatus.Malformed)
            {
                _handler.Abort();
                Reject(RejectReason.BadChunk, hadBody: true);
                return Step.Progress;
            }

            if (_discardBody)
            {
                dataLength = 0;
            }
            else if (_body.Announced > _handler.MaxBodyLength)
            {
                _handler.Abort();
                Reject(RejectReason.ValueTooLarge, hadBody: true);
                return Step.Progress;
            }

            if (dataLength > 0 && !_handler.Append(input.Slice(dataStart, dataLength)))
            {
                // The handler answered and will take no more of this body: close after the answer, and
                // linger so the client can read it.
                CloseAfterAnswer(linger: true);
                return Step.Progress;
            }

            _buffers.Consume(consumed);
            if (status == BodyStatus.Done)
            {
                Respond(now);
            }
            else if (status == BodyStatus.NeedInput)
            {
                _buffers.CompactInput();
                return Step.NeedInput;
            }

            return Step.Progress;
        }

        private void Respond(long now)
        {
            if (_handler.Respond() == HandlerReply.Pending)
            {
                _phase = Phase.Handler;
                return;
            }

            _phase = Phase.Head;
            EndRequest(now);
        }

        private void EndRequest(long now)
        {
            _requestStarted = false;
            _closeAfterSend |= _responses.ConnectionEnds;
            AwaitIdle(now);
        }

        private void Reject(RejectReason reason, bool hadBody)
        {
            // A refusal that leaves the stream in doubt (we cannot tell where the request ends, or its
            // body will not be read) closes the connection after the answer.
            bool close = Rejections.For(reason).AlwaysClose || hadBody || _responses.ConnectionEnds;
            _responses.Refusal(reason, close);
            if (close)
            {
                CloseAfterAnswer(linger: true);
                return;
            }

            _phase = Phase.Head;
            _requestStarted = false;
        }

        /// <summary>Nothing more is read from this connection: its answers go out, then it closes (lingering, if asked).</summary>
        private void CloseAfterAnswer(bool linger)
        {
            _closeAfterSend = true;
            _lingerAfterSend = linger;
            _buffers.DropInput();
            _phase = Phase.Head;
            _requestStarted = false;
        }

        /// <summary>Sends the output; false if the connection must wait for writability, or closed.</summary>
        private bool Send(long now)
        {
            switch (_transport.Send())
            {
                case SendStatus.Nothing:
                    return true;
                case SendStatus.Sent:
                    if (!_requestStarted && _phase == Phase.Head)
                    {
                        // Idle from when the answer has gone out, not from when it was queued.
                        AwaitIdle(now);
                    }

                    return true;
                case SendStatus.Stalled:
                    // An answer still going out is not idle: it is held to BodyTimeout for progress, as a
                    // request body is. It used to keep the IdleTimeout deadline EndRequest set, so a client that
                    // paused reading a large value for longer than IdleTimeout had its download cut short.
                    AwaitProgress(now);
                    return false;
                case SendStatus.Yield:
                    // A fast reader of a large value would otherwise keep the loop sending it to the end.
                    Yielded = true;
                    AwaitProgress(now);
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

        /// <summary>
        /// After a refusal that closes while the client may still be sending (a body too large, a bad
        /// chunk, …): shut down our side, then read and drop whatever comes until the client closes, for
        /// at most 5 s or BodyTimeout if shorter (the "lingering close" of RFC 9112 §9.6). Closing at
        /// once, with request bytes unread or still arriving, makes the kernel send a reset, and a client
        /// still writing its body (HttpClient without Expect: 100-continue) got "broken pipe" instead of
        /// ever reading the 413.
        /// </summary>
        private void StartLinger(long now)
        {
            _closeAfterSend = false;
            _lingerAfterSend = false;
            _phase = Phase.Linger;
            _buffers.DropInput();
            _transport.ShutdownOutput();
            Deadline = now + Math.Min(LingerMilliseconds, Milliseconds(_context.Limits.BodyTimeout));
        }

        /// <summary>
        /// The last request said close (or the server is stopping): nothing after it on this connection is
        /// processed (RFC 9112 §9.6). Pipelined bytes are dropped, and since the client may still be
        /// sending, the close lingers rather than resetting the answer away.
        /// </summary>
        private Step DropInputAfterClose()
        {
            if (_buffers.HasInput)
            {
                _buffers.DropInput();
                _lingerAfterSend = true;
            }

            return Step.NeedInput;
        }

        private Step Discard(long now)
        {
            _buffers.DropInput();
            if (now >= Deadline)
            {
                // A client that never stops sending is not drained forever.
                _transport.Close();
                return Step.Wait;
            }

            return Step.NeedInput;
        }

        private void AwaitHead(long now) => Deadline = now + Milliseconds(_context.Limits.HeaderTimeout);

        private void AwaitBody(long now) => Deadline = now + Milliseconds(_context.Limits.BodyTimeout);

        // An answer going out is held to the body's timeout for progress, as a body coming in is.
        private void AwaitProgress(long now) => AwaitBody(now);

        private void AwaitIdle(long now) => Deadline = now + Milliseconds(_context.Limits.IdleTimeout);

        private static long Milliseconds(TimeSpan timeout) => (long)timeout.TotalMilliseconds;
    }
}
