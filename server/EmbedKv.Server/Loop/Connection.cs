using System;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Net;
using EmbedKv.Server.Http;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// One client connection: an HTTP/1.1 state machine driven by its event loop. It parses requests
    /// from its input area, answers them in order (pipelining), streams bodies into the store and values
    /// out with sendfile, and waits for the store without blocking the loop. Objects are reused for new
    /// connections and buffers are borrowed only while a request is in progress, so a request allocates
    /// nothing on the GC heap.
    /// </summary>
    internal sealed unsafe partial class Connection
    {
        // Longest lingering close (see StartLinger).
        private const long LingerMilliseconds = 5000;

        // What one connection may do in one readiness turn before the loop serves the others: a fast
        // uploader read until its socket ran dry held small GETs on the same loop for seconds. Past
        // either budget the connection yields and the loop drives it again after the other ready ones.
        private const int TurnByteBudget = 256 * 1024;
        private const int TurnRequestBudget = 32;

        // Values up to this size are copied behind their head and sent with it in one send; larger ones
        // go by sendfile. For small values the splice machinery of sendfile and a second syscall cost
        // more than copying a few KiB from the page cache (bench/results/http.md, profile).
        private const int InlineValueLimit = 4096;

        private readonly LoopContext _context;
        private byte* _block;
        private int _readStart;
        private int _readEnd;
        private int _outStart;
        private int _outEnd;
        private StoredValue _sending;
        private bool _hasSending;
        private long _sendOffset;
        private long _sendRemaining;
        private Phase _phase;
        private RequestHead _head;
        private int _keyLength;
        private long _bodyRemaining;
        private ChunkedDecoder _chunks;
        private int _bodyLength;
        private ValueUpload? _upload;
        private bool _discardBody;
        private bool _closeAfterSend;
        private bool _lingerAfterSend;
        private bool _requestStarted;

        // The last recv returned less than it was offered: the socket had nothing more at that moment.
        // Edge-triggered epoll reports the next arrival, so until then another recv would only say EAGAIN.
        private bool _inputDrained;

        // Epoll reported the peer's end of stream (or an error). A short recv then no longer means the
        // socket is empty: the FIN may still be waiting behind the data, and no new edge will announce it.
        private bool _peerHungUp;

        // Stopwatch timestamp of the request's first byte, taken only while the duration histogram has a listener.
        private long _startedAt;

        // Bytes moved and requests started in this readiness turn (see TurnByteBudget).
        private int _turnBytes;
        private int _turnRequests;

        // Where in the output the answer to the current request begins, and whether any byte of it went out:
        // after a fault, an answer not yet begun on the wire can still be a 500 (see Abandon).
        private int _answerStart;
        private bool _answerSent;

        public Connection(LoopContext context, int slot)
        {
            _context = context;
            Slot = slot;
        }

        private enum Phase : byte
        {
            Head,
            Body,
            Store,

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

        public int Slot { get; }

        public uint Generation { get; private set; }

        public int Fd { get; private set; } = -1;

        public bool IsOpen => Fd >= 0;

        /// <summary>Closed and back on its loop's free list (set and cleared by the loop).</summary>
        public bool Retired { get; set; }

        /// <summary>Monotonic milliseconds after which the connection is closed (slowloris, idle, stalled body).</summary>
        public long Deadline { get; private set; }

        /// <summary>
        /// The last drive stopped on its turn's budget with work left (input unread, requests unparsed, a value
        /// unsent). Edge-triggered epoll will not report that work again, so the loop must drive it again.
        /// </summary>
        public bool Yielded { get; private set; }

        /// <summary>On its loop's list of connections to drive again (set and cleared by the loop).</summary>
        public bool AwaitsTurn { get; set; }

        /// <summary>A request is under way (its head started arriving, or it is being answered).</summary>
        public bool Busy => _requestStarted || (_phase != Phase.Head && _phase != Phase.Linger) || _outEnd > _outStart || _hasSending;

        public ulong Token => ((ulong)Generation << 32) | (uint)Slot;

        public void Open(int fd, long now)
        {
            Fd = fd;
            Generation++;
            _phase = Phase.Head;
            _closeAfterSend = false;
            _lingerAfterSend = false;
            _requestStarted = false;
            _inputDrained = false;
            _peerHungUp = false;
            Deadline = now + (long)_context.Limits.HeaderTimeout.TotalMilliseconds;
        }

        /// <summary>Reads, parses, answers and sends until the socket or the store makes it wait.</summary>
        public void Drive(long now) => Drive(now, events: 0);

        /// <summary>As <see cref="Drive(long)"/>, for the epoll <paramref name="events"/> of this connection.</summary>
        public void Drive(long now, uint events)
        {
            if ((events & (Sys.EPOLLRDHUP | Sys.EPOLLHUP | Sys.EPOLLERR)) != 0)
            {
                _peerHungUp = true;
            }

            if ((events & (Sys.EPOLLIN | Sys.EPOLLRDHUP | Sys.EPOLLHUP | Sys.EPOLLERR)) != 0)
            {
                _inputDrained = false;
            }

            Yielded = false;
            _turnBytes = 0;
            _turnRequests = 0;
            while (IsOpen)
            {
                Step step = _phase switch
                {
                    Phase.Head when _closeAfterSend => DropInputAfterClose(),
                    Phase.Head when _readEnd > _readStart => !CanQueueResponse ? Step.Drain : _turnRequests >= TurnRequestBudget ? Step.Yield : ParseHead(now),
                    Phase.Body when _readEnd > _readStart => ReadBody(now),
                    Phase.Store => Step.Wait,
                    Phase.Linger => Discard(),
                    _ => Step.NeedInput,
                };

                if (step == Step.Progress)
                {
                    continue;
                }

                if (!Flush(now))
                {
                    return; // the socket is full (EPOLLOUT will call back) or closed
                }

                if (_closeAfterSend)
                {
                    if (!_lingerAfterSend)
                    {
                        Close();
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

                if (step == Step.Yield || (_turnBytes >= TurnByteBudget && !_inputDrained))
                {
                    Yielded = true;
                    return;
                }

                if (_inputDrained)
                {
                    ReleaseBlockIfIdle();
                    return;
                }

                if (!Receive(now))
                {
                    return;
                }
            }
        }

        /// <summary>The store finished this connection's write.</summary>
        public void OnStored(WriteOutcome outcome, long now)
        {
            _phase = Phase.Head;
            switch (outcome)
            {
                case WriteOutcome.Created:
                    QueueHead(201, 0, octetStream: false);
                    break;
                case WriteOutcome.Replaced:
                case WriteOutcome.Deleted:
                    QueueHead(204, -1, octetStream: false);
                    break;
                case WriteOutcome.NotFound:
                    QueueText(404, "not found\n"u8);
                    break;
                case WriteOutcome.DiskFull:
                    QueueDiskFull();
                    break;
                default:
                    // The store refuses writes until it is reopened (a failed sync): nothing was stored.
                    QueueText(500, "the write could not be stored\n"u8);
                    break;
            }

            EndRequest(now);
            Drive(now);
        }

        /// <summary>Closes the connection if its deadline passed.</summary>
        public void CloseIfExpired(long now)
        {
            if (IsOpen && _phase != Phase.Store && now >= Deadline)
            {
                Close();
            }
        }

        /// <summary>During shutdown: closes now if no request is in flight.</summary>
        public void CloseIfIdle()
        {
            if (IsOpen && !Busy)
            {
                Close();
            }
        }

        public void Close()
        {
            if (!IsOpen)
            {
                return;
            }

            ValueUpload? upload = _upload;
            _upload = null;
            try
            {
                upload?.Abort();
            }
            finally
            {
                // Even if deleting the upload's file failed, the socket and the buffer are given back.
                if (_hasSending)
                {
                    _sending.Release();
                    _hasSending = false;
                }

                SocketOps.Close(Fd);
                Fd = -1;
                Generation++; // a late store completion for the old request is now ignored
                ReleaseBlock();
                _readStart = _readEnd = _outStart = _outEnd = _answerStart = 0;
                _phase = Phase.Head;
                _requestStarted = false;
            }
        }

        private bool CanQueueResponse => !_hasSending && _outEnd <= BlockLayout.OutputSize - 1024;

        private Span<byte> Input => new Span<byte>(_block, _context.Layout.ReadSize);

        private Span<byte> Body => new Span<byte>(_block + _context.Layout.BodyOffset, BlockLayout.BodySize);

        private Span<byte> Output => new Span<byte>(_block + _context.Layout.OutputOffset, BlockLayout.OutputSize);

        private ReadOnlySpan<byte> Key => new ReadOnlySpan<byte>(_block + _context.Layout.KeyOffset, _keyLength);

        private Step ParseHead(long now)
        {
            if (!_requestStarted)
            {
                // The first byte of a request starts the clock on its head (slowloris).
                _requestStarted = true;
                _answerStart = _outEnd;
                _answerSent = false;
                Deadline = now + (long)_context.Limits.HeaderTimeout.TotalMilliseconds;
                _startedAt = _context.Stats.TimesRequests ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
            }

            ReadOnlySpan<byte> input = Input.Slice(_readStart, _readEnd - _readStart);
            ParseStatus status = RequestParser.TryParse(input, _context.Limits, _context.Options.MaxKeyLength, _context.Options.MaxValueLength, out _head, out int consumed, out RejectReason reason);
            if (status == ParseStatus.Incomplete)
            {
                CompactInput();
                return Step.NeedInput;
            }

            if (status == ParseStatus.Rejected)
            {
                _readStart += consumed;
                Reject(reason, _head.HasBody || consumed == 0);
                return Step.Progress;
            }

            // The key, decoded into its own area: the input area moves on as the body arrives.
            ReadOnlySpan<byte> encodedKey = Input.Slice(_readStart + _head.KeyOffset, _head.KeyLength);
            _keyLength = KeyDecoder.Decode(encodedKey, new Span<byte>(_block + _context.Layout.KeyOffset, _context.Layout.KeySize));
            _readStart += consumed;
            _turnRequests++;
            StartRequest(now);
            return Step.Progress;
        }

        private void StartRequest(long now)
        {
            bool stores = _head.Method is HttpMethod.Put or HttpMethod.Post;
            if (!_head.HasBody && !stores)
            {
                Act(now);
                return;
            }

            _phase = Phase.Body;
            _discardBody = !stores;
            _bodyLength = 0;
            _bodyRemaining = _head.Chunked ? -1 : _head.ContentLength;
            _chunks = default;
            Deadline = now + (long)_context.Limits.BodyTimeout.TotalMilliseconds;
            if (_head.ExpectContinue && _readEnd == _readStart)
            {
                // RFC 9110 §10.1.1: the client waits for this before sending the body (curl does, over 1 MiB).
                Queue(StatusLines.For(100));
                Queue("\r\n"u8);
                _answerStart = _outEnd; // an interim answer: a final one may still follow it
            }

            if (_bodyRemaining == 0)
            {
                FinishBody(now);
            }
        }

        private Step ReadBody(long now)
        {
            Deadline = now + (long)_context.Limits.BodyTimeout.TotalMilliseconds;
            Span<byte> input = Input.Slice(_readStart, _readEnd - _readStart);
            if (!_head.Chunked)
            {
                int take = (int)Math.Min(input.Length, _bodyRemaining);
                if (!Consume(input.Slice(0, take)))
                {
                    return Step.Progress;
                }

                _readStart += take;
                _bodyRemaining -= take;
                if (_bodyRemaining == 0)
                {
                    FinishBody(now);
                }

                return Step.Progress;
            }

            ChunkStatus status = _chunks.Decode(input, out int consumed, out int dataStart, out int dataLength);
            if (status == ChunkStatus.Error)
            {
                AbortBody();
                Reject(RejectReason.BadChunk, hadBody: true);
                return Step.Progress;
            }

            if (_chunks.Announced > _context.Options.MaxValueLength && !_discardBody)
            {
                AbortBody();
                Reject(RejectReason.ValueTooLarge, hadBody: true);
                return Step.Progress;
            }

            if (dataLength > 0 && !Consume(input.Slice(dataStart, dataLength)))
            {
                return Step.Progress;
            }

            _readStart += consumed;
            if (status == ChunkStatus.Done)
            {
                FinishBody(now);
                return Step.Progress;
            }

            if (status == ChunkStatus.NeedMore)
            {
                CompactInput();
                return Step.NeedInput;
            }

            return Step.Progress;
        }

        /// <summary>Takes body bytes: kept in the body area while they fit, then streamed into an upload.</summary>
        private bool Consume(ReadOnlySpan<byte> data)
        {
            if (_discardBody || data.IsEmpty)
            {
                return true;
            }

            if (_upload is null && _bodyLength + data.Length <= BlockLayout.BodySize)
            {
                data.CopyTo(Body.Slice(_bodyLength));
                _bodyLength += data.Length;
                return true;
            }

            try
            {
                if (_upload is null)
                {
                    _upload = _context.Store.BeginUpload(Key);
                    _upload.Append(Body.Slice(0, _bodyLength));
                }

                if (_upload.Append(data))
                {
                    return true;
                }

                AbortBody();
                Reject(RejectReason.ValueTooLarge, hadBody: true);
            }
            catch (Exception e) when (e is System.IO.IOException or ObjectDisposedException)
            {
                // The rest of the body will not be read, so answer, close and linger as Reject does. Staying
                // in the body phase, as this did, fed the same body to a new upload again and again, each
                // failure queueing one more answer, until the output area overflowed (a crash on a full disk).
                AbortBody();
                bool full = StorageFullException.IsNoSpace(e);
                _outEnd += WriteText(full ? 507 : 500, full ? DiskFullText : "the value could not be stored\n"u8, close: true);
                _closeAfterSend = true;
                _lingerAfterSend = true;
                _readStart = _readEnd;
                _phase = Phase.Head;
                _requestStarted = false;
            }

            return false;
        }

        private void FinishBody(long now)
        {
            if (_discardBody)
            {
                Act(now);
                return;
            }

            _phase = Phase.Store;
            if (_upload is { } upload)
            {
                _upload = null;
                try
                {
                    upload.Complete(_context.Completions, Token);
                }
                catch (Exception e) when (e is System.IO.IOException or ObjectDisposedException)
                {
                    _context.Completions.OnWriteCompleted(Token, StorageFullException.IsNoSpace(e) ? WriteOutcome.DiskFull : WriteOutcome.Failed);
                }

                return;
            }

            _context.Store.BeginPut(Key, Body.Slice(0, _bodyLength), _context.Completions, Token);
        }

        /// <summary>Answers GET, HEAD and DELETE (after any body they carried was read and discarded).</summary>
        private void Act(long now)
        {
            switch (_head.Method)
            {
                case HttpMethod.Delete:
                    _phase = Phase.Store;
                    _context.Store.BeginDelete(Key, _context.Completions, Token);
                    return;
                case HttpMethod.Get:
                case HttpMethod.Head:
                    if (!_context.Store.TryGet(Key, out StoredValue value))
                    {
                        QueueText(404, "not found\n"u8);
                    }
                    else
                    {
                        QueueHead(200, value.Length, octetStream: true);
                        if (_head.Method == HttpMethod.Get && value.Length > 0 && value.Length <= InlineValueLimit && value.Length <= BlockLayout.OutputSize - _outEnd)
                        {
                            QueueValue(value);
                        }
                        else if (_head.Method == HttpMethod.Get && value.Length > 0)
                        {
                            _sending = value;
                            _hasSending = true;
                            _sendOffset = value.FileOffset;
                            _sendRemaining = value.Length;
                        }
                        else
                        {
                            value.Release();
                        }
                    }

                    break;
            }

            _phase = Phase.Head;
            EndRequest(now);
        }

        private void EndRequest(long now)
        {
            _requestStarted = false;
            if (!_head.KeepAlive || _context.Stopping)
            {
                _closeAfterSend = true;
            }

            Deadline = now + (long)_context.Limits.IdleTimeout.TotalMilliseconds;
        }

        private void Reject(RejectReason reason, bool hadBody)
        {
            // A refusal that leaves the stream in doubt (we cannot tell where the request ends, or its
            // body will not be read) closes the connection after the answer.
            Rejection rejection = Rejections.For(reason);
            bool close = rejection.AlwaysClose || hadBody || !_head.KeepAlive || _context.Stopping;
            _outEnd += WriteText(rejection.Status, rejection.Body, close, rejection.ExtraHeaders);
            _closeAfterSend = close;
            _lingerAfterSend = close;
            if (close)
            {
                _readStart = _readEnd;
            }

            _phase = Phase.Head;
            _requestStarted = false;
        }

        private void AbortBody()
        {
            _upload?.Abort();
            _upload = null;
        }
    }
}
