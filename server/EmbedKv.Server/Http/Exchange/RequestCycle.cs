using System;

namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>What the request cycle did, or needs, next.</summary>
    internal enum ExchangeStep : byte
    {
        Progress,
        NeedInput,
        Wait,

        // This turn's budget is spent: send what is ready, then let the loop serve other connections.
        Yield,

        // Requests are waiting in the input, but the output must go out first (a value being sent, or the
        // output area nearly full).
        Drain,
    }

    /// <summary>
    /// The HTTP/1.1 semantics of an exchange, one request after another: the head parsed and judged (by the
    /// parser, then the handler), the body framed and handed over, the handler's answer, and what each
    /// answer means for the connection (keep-alive, close, lingering) and its deadline.
    /// <see cref="Http1Exchange"/> drives it and moves the bytes.
    /// </summary>
    internal sealed class RequestCycle
    {
        // Requests one connection may start in one readiness turn before the loop serves the others (the
        // byte budget is the transport's).
        private const int TurnRequestBudget = 32;

        // Room an answer needs in the output before the next pipelined request is parsed.
        private const int AnswerRoom = 1024;

        private readonly ExchangeContext _context;
        private readonly ConnectionBuffers _buffers;
        private readonly ResponseComposer _responses;
        private readonly IRequestHandler _handler;
        private IExchangeTransport _transport;
        private ExchangeDeadline _deadline;
        private ConnectionEnd _end;
        private Phase _phase;
        private RequestHead _head;
        private RequestBody _body;
        private bool _requestStarted;
        private int _turnRequests;

        public RequestCycle(ExchangeContext context, ConnectionBuffers buffers, ResponseComposer responses, IRequestHandler handler, IExchangeTransport transport)
        {
            _context = context;
            _buffers = buffers;
            _responses = responses;
            _handler = handler;
            _transport = transport;
            _deadline = new ExchangeDeadline(context.Limits);
            _end = new ConnectionEnd(buffers, transport);
        }

        private enum Phase : byte
        {
            Head,
            Body,

            // The handler answers later (the store is writing).
            Handler,

            // Answered and half-closed: input is read and dropped until the client closes (see ConnectionEnd).
            Linger,
        }

        /// <summary>When the connection is closed for making no progress; the exchange moves it as answers go out.</summary>
        public ref ExchangeDeadline Deadline => ref _deadline;

        /// <summary>A request is under way: its head started arriving, its body is being read, or the handler owes its answer.</summary>
        public bool InRequest => _requestStarted || _phase is Phase.Body or Phase.Handler;

        /// <summary>The handler is answering later (the store is writing).</summary>
        public bool AwaitsHandler => _phase == Phase.Handler;

        public bool Lingering => _phase == Phase.Linger;

        /// <summary>The connection closes once its answers are out (see <see cref="Ending"/>).</summary>
        public bool Closing => _end.Decided;

        /// <summary>Between requests: an answer that has gone out leaves the connection idle.</summary>
        public bool BetweenRequests => !_requestStarted && _phase == Phase.Head;

        private bool CanStartAnswer => !_transport.SendingValue && _buffers.OutputRoom.Length >= AnswerRoom;

        /// <summary>A new connection: its first request's head is due within HeaderTimeout.</summary>
        public void Start(long now)
        {
            _phase = Phase.Head;
            _end.Reset();
            _requestStarted = false;
            _deadline.AwaitHead(now);
        }

        /// <summary>
        /// On <paramref name="transport"/>, where a pooled exchange was set aside: between requests (with its
        /// deadline, lingering or not), or with the handler owing the current request's answer.
        /// </summary>
        public void Resume(IExchangeTransport transport, in SuspendedExchange suspended)
        {
            _transport = transport;
            _end = new ConnectionEnd(_buffers, transport);
            _deadline = suspended.Deadline;
            _phase = suspended.Lingering ? Phase.Linger : suspended.AwaitsHandler ? Phase.Handler : Phase.Head;
            _requestStarted = suspended.AwaitsHandler;
            if (suspended.AwaitsHandler)
            {
                _responses.Request = suspended.Request;
            }
        }

        /// <summary>A new readiness turn: the request budget starts again.</summary>
        public void BeginTurn() => _turnRequests = 0;

        /// <summary>Does what the input allows next.</summary>
        public ExchangeStep Next(long now) => _phase switch
        {
            Phase.Head when _end.Decided => DropPipelined(),
            Phase.Head when _buffers.HasInput => !CanStartAnswer ? ExchangeStep.Drain : _turnRequests >= TurnRequestBudget ? ExchangeStep.Yield : ParseHead(now),
            Phase.Body when _buffers.HasInput => ReadBody(now),
            Phase.Handler => ExchangeStep.Wait,
            Phase.Linger => _end.Drain(now, in _deadline) ? ExchangeStep.NeedInput : ExchangeStep.Wait,
            _ => ExchangeStep.NeedInput,
        };

        /// <summary>The answers are out and the connection was to end: it closed, or lingers now.</summary>
        public bool Ending(long now)
        {
            if (!_end.Finish(now, ref _deadline))
            {
                return false;
            }

            _phase = Phase.Linger;
            return true;
        }

        /// <summary>The handler queued the answer it owed (see <see cref="HandlerReply.Pending"/>).</summary>
        public void Complete(long now)
        {
            _phase = Phase.Head;
            EndRequest(now);
        }

        /// <summary>The connection closed: whatever the request started is dropped.</summary>
        public void Reset()
        {
            _phase = Phase.Head;
            _requestStarted = false;
            _handler.Abort();
        }

        private ExchangeStep ParseHead(long now)
        {
            if (!_requestStarted)
            {
                // The first byte of a request starts the clock on its head (slowloris).
                _requestStarted = true;
                _responses.Begin();
                _deadline.AwaitHead(now);
            }

            ReadOnlySpan<byte> input = _buffers.Unread;
            ParseStatus status = RequestParser.TryParse(input, _context.Limits, out _head, out int consumed, out RejectReason reason);
            if (status == ParseStatus.Incomplete)
            {
                _buffers.CompactInput();
                return ExchangeStep.NeedInput;
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
                return ExchangeStep.Progress;
            }

            _turnRequests++;
            StartRequest(now);
            return ExchangeStep.Progress;
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
            _body.Start(in _head, discard: !takesBody);
            _deadline.AwaitProgress(now);
            if (_head.ExpectContinue && !_buffers.HasInput)
            {
                _responses.Continue();
            }

            if (_body.Empty)
            {
                Respond(now);
            }
        }

        private ExchangeStep ReadBody(long now)
        {
            _deadline.AwaitProgress(now);
            switch (_body.Read(_buffers, _handler))
            {
                case BodyStep.Malformed:
                    _handler.Abort();
                    Reject(RejectReason.BadChunk, hadBody: true);
                    break;
                case BodyStep.TooLarge:
                    _handler.Abort();
                    Reject(RejectReason.ValueTooLarge, hadBody: true);
                    break;
                case BodyStep.Refused:
                    // The handler answered and takes no more of this body: close after the answer, lingering
                    // so the client can read it.
                    CloseAfterAnswer();
                    break;
                case BodyStep.Done:
                    Respond(now);
                    break;
                case BodyStep.NeedInput:
                    _buffers.CompactInput();
                    return ExchangeStep.NeedInput;
            }

            return ExchangeStep.Progress;
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
            if (_responses.ConnectionEnds)
            {
                _end.AfterAnswers();
            }

            _deadline.AwaitIdle(now);
        }

        private void Reject(RejectReason reason, bool hadBody)
        {
            // A refusal that leaves the stream in doubt (we cannot tell where the request ends, or its
            // body will not be read) closes the connection after the answer.
            bool close = Rejections.For(reason).AlwaysClose || hadBody || _responses.ConnectionEnds;
            _responses.Refusal(reason, close);
            if (close)
            {
                CloseAfterAnswer();
                return;
            }

            _phase = Phase.Head;
            _requestStarted = false;
        }

        /// <summary>Nothing more is read from this connection: its answers go out, then it closes, lingering.</summary>
        private void CloseAfterAnswer()
        {
            _end.AfterAnswersLingering();
            _phase = Phase.Head;
            _requestStarted = false;
        }

        /// <summary>
        /// The last request said close (or the server is stopping): nothing after it on this connection is
        /// processed (RFC 9112 §9.6). Pipelined bytes are dropped, and the close lingers.
        /// </summary>
        private ExchangeStep DropPipelined()
        {
            _end.DropPipelined();
            return ExchangeStep.NeedInput;
        }
    }
}
