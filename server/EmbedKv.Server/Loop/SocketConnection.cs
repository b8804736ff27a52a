using System;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Memory;
using EmbedKv.Runtime.Net;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Kv;
using EmbedKv.Server.Kv.Remote;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// One client connection on its event loop: the transport under an <see cref="Http1Exchange"/> (a
    /// non-blocking socket, the block borrowed while a request is under way, recv, send and sendfile, the
    /// turn's byte budget) and the slot the loop knows it by. The exchange and its <see cref="KvHandler"/>
    /// decide what the bytes mean; they are rented from the loop while the connection is driven or a request
    /// is under way (<see cref="ExchangeParts"/>), so an idle connection holds only this object. Objects are
    /// reused for new connections, so a request allocates nothing on the GC heap.
    /// </summary>
    internal sealed unsafe class SocketConnection : IExchangeTransport, IValueSink, IReadWaits, IClientPeer
    {
        // A wait whose value's expiry second came by the loop's clock but not yet by the store's is looked at
        // again this much later (the two clocks differ by up to a few milliseconds).
        private const long ExpiryRecheckMilliseconds = 20;

        // What one connection may move in one readiness turn before the loop serves the others: a fast
        // uploader read until its socket ran dry held small GETs on the same loop for seconds.
        private const int TurnByteBudget = 256 * 1024;

        private readonly LoopContext _context;

        // The exchange and handler, while driven or busy; null while idle.
        private ExchangeParts? _parts;

        // What the connection keeps of its exchange while it is set aside: between requests (when it is
        // closed, whether it lingers), or while its request waits (the request being answered).
        private SuspendedExchange _suspended;

        // The long-poll under way on this connection, if any (see WaitingReads).
        private WaitingRead? _waiting;

        // Calls into the exchange under way (a drive, a store's report): the parts go back only after the
        // outermost returns, even if the connection closed inside it.
        private int _depth;

        private OutgoingValue _value;

        // The last recv returned less than it was offered: the socket had nothing more at that moment.
        // Edge-triggered epoll reports the next arrival, so until then another recv would only say EAGAIN.
        private bool _inputDrained;

        // Epoll reported the peer's end of stream (or an error). A short recv then no longer means the
        // socket is empty: the FIN may still be waiting behind the data, and no new edge will announce it.
        private bool _peerHungUp;

        // Bytes moved in this readiness turn (see TurnByteBudget).
        private int _turnBytes;

        public SocketConnection(LoopContext context, int slot)
        {
            _context = context;
            Slot = slot;
            _suspended = new SuspendedExchange(new ExchangeDeadline(context.Exchange.Limits));
        }

        public int Slot { get; }

        public uint Generation { get; private set; }

        public int Fd { get; private set; } = -1;

        public bool IsOpen => Fd >= 0;

        /// <summary>Closed and back on its loop's free list (set and cleared by the loop).</summary>
        public bool Retired { get; set; }

        /// <summary>On its loop's list of connections to drive again (set and cleared by the loop).</summary>
        public bool AwaitsTurn { get; set; }

        public ulong Token => ((ulong)Generation << 32) | (uint)Slot;

        /// <summary>Asked only when a request is refused: the kernel knows the peer, so the connection need not keep it.</summary>
        public string PeerAddress() => InetEndpoint.PeerAddressOf(Fd);

        /// <inheritdoc cref="Http1Exchange.Yielded"/>
        public bool Yielded => _parts?.Exchange.Yielded ?? false;

        public bool InputDrained => _inputDrained;

        public bool TurnBytesSpent => _turnBytes >= TurnByteBudget;

        public bool SendingValue => _value.Active;

        private ExchangeParts Parts => _parts ??= _context.Parts.Rent(this, in _suspended);

        private ConnectionBuffers Buffers => _parts!.Buffers;

        public void Open(int fd, long now)
        {
            Fd = fd;
            Generation++;
            _inputDrained = false;
            _peerHungUp = false;
            _suspended.Deadline.AwaitHead(now);
            _suspended.Lingering = false;
            _suspended.AwaitsHandler = false;
        }

        /// <summary>Serves the connection for one readiness turn; <paramref name="events"/> are its epoll events (0 when driven again).</summary>
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

            if (_peerHungUp && _parts is { Handler: RemoteKvHandler { IsWaiting: true } })
            {
                // The same for a long-poll a remote backend watches for: closing abandons the watch.
                Close();
                return;
            }

            if (_waiting is not null)
            {
                // A client that hangs up while its request waits gets no answer: the wait ends with the
                // connection (nginx drops a long-poll whose client closed the same way). Other bytes stay in
                // the socket until the answer went out; with the exchange set aside, there is nothing to drive.
                if (_peerHungUp)
                {
                    Close();
                    return;
                }

                if (_parts is null)
                {
                    return;
                }
            }

            _turnBytes = 0;
            _depth++;
            try
            {
                Parts.Exchange.Drive(now);

                // The request and the client's end of stream came in one event: the hang-up was noted before
                // the request parked, and no later edge will report it again.
                if (_waiting is not null && _peerHungUp)
                {
                    Close();
                }
            }
            finally
            {
                _depth--;
                SetAsideIfIdle();
            }
        }

        /// <summary>The store finished this connection's write.</summary>
        public void OnStored(WriteOutcome outcome, ulong version, long now)
        {
            // A write under way keeps its parts: a report without them belongs to no request of this connection.
            if (_parts is not { } parts)
            {
                return;
            }

            _depth++;
            try
            {
                if (parts.Handler.OnStored(outcome, version))
                {
                    parts.Exchange.Complete(now);
                }
                else if (_peerHungUp && parts.Handler is RemoteKvHandler { IsWaiting: true })
                {
                    // A remote read that turned into a long-poll for a client that already hung up (its end
                    // came with the request, and no later edge will report it again): nobody to wait for.
                    Close();
                }
            }
            finally
            {
                _depth--;
                SetAsideIfIdle();
            }
        }

        /// <summary>Closes the connection if its deadline passed (not while the store is writing its request, or it waits).</summary>
        public void CloseIfExpired(long now)
        {
            // A waiting request whose earlier answers stall (the client does not read) is held to the deadline.
            bool storeWriting = (_parts?.Exchange.AwaitsHandler ?? _suspended.AwaitsHandler)
                && !(_waiting is not null && _parts is { Buffers.HasOutput: true });
            long deadline = _parts?.Exchange.Deadline ?? _suspended.Deadline.At;
            if (IsOpen && !storeWriting && now >= deadline)
            {
                Close();
            }
        }

        /// <summary>During shutdown: closes now if no request is in flight.</summary>
        public void CloseIfIdle()
        {
            if (IsOpen && !(_parts?.Exchange.Busy ?? _suspended.AwaitsHandler))
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

            if (_waiting is { } waiting)
            {
                _waiting = null;
                _context.Waits.Cancel(waiting);
            }

            try
            {
                _parts?.Exchange.Reset();
            }
            finally
            {
                _suspended.AwaitsHandler = false;
                // Even if deleting an upload's file failed, the socket, the buffer and the parts are given back.
                _value.Drop();
                SocketOps.Close(Fd);
                Fd = -1;
                Generation++; // a late store completion for the old request is now ignored
                ReleaseBuffers();
                SetAsideIfIdle();
            }
        }

        /// <summary>
        /// Serving this connection threw, so its state is in doubt: answer the current request 500 if no
        /// byte of its answer went out yet (answers queued before it go out first), then close. Returns
        /// what the client was told, for the log.
        /// </summary>
        public string Abandon()
        {
            if (!IsOpen)
            {
                return "it was closed already";
            }

            string told = "closed mid-answer";
            if (_parts is { } parts && parts.Exchange.CanStillAnswer)
            {
                _value.Drop();
                if (parts.Exchange.AnswerFault())
                {
                    told = "answered 500";
                }

                // One attempt, without waiting: the connection is not driven again.
                while (parts.Buffers.HasOutput)
                {
                    nint sent = SocketOps.Send(Fd, parts.Buffers.Unsent);
                    if (sent <= 0)
                    {
                        told += ", not all of it sent";
                        break;
                    }

                    Sent(sent);
                }
            }

            Close();
            return told;
        }

        public ReceiveStatus Receive()
        {
            if (!Buffers.IsAttached)
            {
                Buffers.Attach(_context.Buffers.Rent());
            }

            if (Buffers.InputFull)
            {
                Buffers.CompactInput();
                if (Buffers.InputFull)
                {
                    return ReceiveStatus.NoRoom;
                }
            }

            Span<byte> room = Buffers.InputRoom;
            nint received = SocketOps.Receive(Fd, room);
            if (received > 0)
            {
                _inputDrained = received < room.Length && !_peerHungUp;
                Buffers.Received((int)received);
                _turnBytes += (int)received;
                _context.Exchange.Stats.Received(received);
                return ReceiveStatus.Received;
            }

            if (received == -Sys.EAGAIN)
            {
                _inputDrained = true;
                return ReceiveStatus.Empty;
            }

            // End of stream or a reset: a half-received body is abandoned, never stored.
            Close();
            return ReceiveStatus.Closed;
        }

        public SendStatus Send()
        {
            bool progress = false;
            while (Buffers.HasOutput)
            {
                nint sent = SocketOps.Send(Fd, Buffers.Unsent, more: _value.Active);
                if (sent < 0)
                {
                    return SendFailed(sent, progress);
                }

                Sent(sent);
                progress = true;
            }

            Buffers.AllSent();
            while (_value.Active)
            {
                nint sent = _value.SendMore(Fd);
                if (sent < 0)
                {
                    return SendFailed(sent, progress);
                }

                if (sent == 0)
                {
                    Break(); // the file is shorter than the index said
                    return SendStatus.Closed;
                }

                progress = true;
                _context.Exchange.Stats.Sent(sent);
                _turnBytes += (int)sent;
                if (_value.Active && TurnBytesSpent)
                {
                    return SendStatus.Yield;
                }
            }

            return progress ? SendStatus.Sent : SendStatus.Nothing;
        }

        public void ShutdownOutput() => SocketOps.Shutdown(Fd, Sys.SHUT_WR);

        public void ReleaseBuffers()
        {
            if (_parts is { Buffers.IsAttached: true } parts)
            {
                _context.Buffers.Return(parts.Buffers.Detach());
            }
        }

        ReadWait IReadWaits.BeginWait()
        {
            _waiting = _context.Waits.Rent();
            return _waiting.Read;
        }

        void IReadWaits.Park()
        {
            WaitingRead waiting = _waiting!;
            ReadWait read = waiting.Read;
            long now = Environment.TickCount64;
            long due = long.MaxValue;
            if (read.Expires != 0)
            {
                long untilExpiry = (read.Expires * 1000L) - _context.Store!.Options.Clock.GetUtcNow().ToUnixTimeMilliseconds();
                due = now + Math.Max(0, untilExpiry);
            }

            _context.Waits.Add(waiting, this, now + read.WaitMilliseconds, due);

            // Watched from now on; a change made since the handler looked would otherwise be missed.
            if (read.LookAgain(_context.Store!))
            {
                _context.Waits.Wake(waiting);
            }
        }

        /// <summary>
        /// This connection's waiting read was woken (<see cref="WaitingReads"/>): its key changed, its value
        /// expired, or the wait is up. The exchange is taken up again, owing that answer; the handler answers
        /// as the key stands now, and the connection goes on with any request after it.
        /// </summary>
        public void AnswerWait(WaitingRead waiting, long now)
        {
            if (!IsOpen || !ReferenceEquals(_waiting, waiting))
            {
                _context.Waits.Finish(waiting);
                return;
            }

            ReadWait read = waiting.Read;
            if (!waiting.AnswerNow && now < waiting.Ends)
            {
                // Due by its value's expiry: watched again first, then looked at, so no change falls between.
                _context.Waits.Requeue(waiting, now + ExpiryRecheckMilliseconds);
                if (!read.LookAgain(_context.Store!))
                {
                    return; // the store's clock does not show the expiry yet
                }

                _context.Waits.Unqueue(waiting);
            }

            _waiting = null;
            _depth++;
            bool finished = false;
            try
            {
                ExchangeParts parts = Parts;
                _suspended.AwaitsHandler = false;
                if (!parts.Buffers.IsAttached)
                {
                    parts.Buffers.Attach(_context.Buffers.Rent());
                }

                parts.Handler.AnswerWait(read);
                finished = true;
                _context.Waits.Finish(waiting);
                parts.Exchange.Complete(now);
            }
            finally
            {
                if (!finished)
                {
                    _context.Waits.Finish(waiting);
                }

                _depth--;
                SetAsideIfIdle();
            }
        }

        void IValueSink.Send(StoredValue value) => _value.Start(value);

        void IValueSink.Send(NativeRegion page, int length, ListingPages pages) => _value.Start(page, length, pages);

        public void Break() => Close();

        private SendStatus SendFailed(nint error, bool progress)
        {
            if (error != -Sys.EAGAIN)
            {
                Close(); // EPIPE, ECONNRESET: the peer is gone
                return SendStatus.Closed;
            }

            return progress ? SendStatus.Stalled : SendStatus.Full;
        }

        /// <summary>
        /// Gives the parts back once the connection is closed, or idle: no request under way and its block
        /// given back. What the exchange knew that outlives the idle time is kept here.
        /// </summary>
        private void SetAsideIfIdle()
        {
            if (_depth > 0 || _parts is not { } parts)
            {
                return;
            }

            if (IsOpen && _waiting is not null && parts.Exchange.AwaitsHandler
                && !parts.Buffers.HasOutput && !parts.Buffers.HasInput && !_value.Active)
            {
                // A request that waits keeps no block and no exchange, only its ReadWait (docs/api.md,
                // "Long-poll"): a waiter costs well under the 2 KiB the issue allows, where the parts and
                // the block are over 16 KiB. Input pipelined behind it stays in the socket until it is answered.
                ReleaseBuffers();
            }
            else if (IsOpen && (parts.Exchange.Busy || parts.Buffers.IsAttached))
            {
                return;
            }

            _suspended = parts.Exchange.Suspend();
            _parts = null;
            _context.Parts.Return(parts);
        }

        private void Sent(nint count)
        {
            Buffers.Sent((int)count);
            _context.Exchange.Stats.Sent(count);
        }
    }
}
