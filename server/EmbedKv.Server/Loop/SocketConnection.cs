using System;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Net;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Kv;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// One client connection on its event loop: the transport under an <see cref="Http1Exchange"/> (a
    /// non-blocking socket, the block borrowed while a request is under way, recv, send and sendfile, the
    /// turn's byte budget) and the slot the loop knows it by. The exchange and its <see cref="KvHandler"/>
    /// decide what the bytes mean. Objects are reused for new connections, so a request allocates nothing
    /// on the GC heap.
    /// </summary>
    internal sealed unsafe class SocketConnection : IExchangeTransport, IValueSink
    {
        // What one connection may move in one readiness turn before the loop serves the others: a fast
        // uploader read until its socket ran dry held small GETs on the same loop for seconds.
        private const int TurnByteBudget = 256 * 1024;

        private readonly LoopContext _context;
        private readonly ConnectionBuffers _buffers;
        private readonly KvHandler _handler;
        private readonly Http1Exchange _exchange;

        // The value going out by sendfile after the queued output.
        private StoredValue _sending;
        private bool _hasSending;
        private long _sendOffset;
        private long _sendRemaining;

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
            _buffers = new ConnectionBuffers(context.Exchange.Layout);
            var responses = new ResponseComposer(context.Exchange, _buffers);
            _handler = new KvHandler(context.Store, context.Options, context.Completions, _buffers, responses, this);
            _exchange = new Http1Exchange(context.Exchange, _buffers, responses, _handler, this);
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

        /// <inheritdoc cref="Http1Exchange.Yielded"/>
        public bool Yielded => _exchange.Yielded;

        public bool InputDrained => _inputDrained;

        public bool TurnBytesSpent => _turnBytes >= TurnByteBudget;

        public bool SendingValue => _hasSending;

        public void Open(int fd, long now)
        {
            Fd = fd;
            Generation++;
            _handler.Token = Token;
            _inputDrained = false;
            _peerHungUp = false;
            _exchange.Start(now);
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

            _turnBytes = 0;
            _exchange.Drive(now);
        }

        /// <summary>The store finished this connection's write.</summary>
        public void OnStored(WriteOutcome outcome, long now)
        {
            _handler.OnStored(outcome);
            _exchange.Complete(now);
        }

        /// <summary>Closes the connection if its deadline passed (not while the store is writing its request).</summary>
        public void CloseIfExpired(long now)
        {
            if (IsOpen && !_exchange.AwaitsHandler && now >= _exchange.Deadline)
            {
                Close();
            }
        }

        /// <summary>During shutdown: closes now if no request is in flight.</summary>
        public void CloseIfIdle()
        {
            if (IsOpen && !_exchange.Busy)
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

            try
            {
                _exchange.Reset();
            }
            finally
            {
                // Even if deleting an upload's file failed, the socket and the buffer are given back.
                DropValue();
                SocketOps.Close(Fd);
                Fd = -1;
                Generation++; // a late store completion for the old request is now ignored
                ReleaseBuffers();
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
            if (_exchange.CanStillAnswer)
            {
                DropValue();
                if (_exchange.AnswerFault())
                {
                    told = "answered 500";
                }

                // One attempt, without waiting: the connection is not driven again.
                while (_buffers.HasOutput)
                {
                    nint sent = SocketOps.Send(Fd, _buffers.Unsent);
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
            if (!_buffers.IsAttached)
            {
                _buffers.Attach(_context.Buffers.Rent());
            }

            if (_buffers.InputFull)
            {
                _buffers.CompactInput();
                if (_buffers.InputFull)
                {
                    return ReceiveStatus.NoRoom;
                }
            }

            Span<byte> room = _buffers.InputRoom;
            nint received = SocketOps.Receive(Fd, room);
            if (received > 0)
            {
                _inputDrained = received < room.Length && !_peerHungUp;
                _buffers.Received((int)received);
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
            while (_buffers.HasOutput)
            {
                nint sent = SocketOps.Send(Fd, _buffers.Unsent, more: _hasSending);
                if (sent < 0)
                {
                    return SendFailed(sent, progress);
                }

                Sent(sent);
                progress = true;
            }

            _buffers.AllSent();
            while (_hasSending)
            {
                nint sent = SocketOps.SendFile(Fd, _sending.FileDescriptor, ref _sendOffset, _sendRemaining);
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
                _sendRemaining -= sent;
                _turnBytes += (int)sent;
                if (_sendRemaining == 0)
                {
                    DropValue();
                }
                else if (TurnBytesSpent)
                {
                    return SendStatus.Yield;
                }
            }

            return progress ? SendStatus.Sent : SendStatus.Nothing;
        }

        public void ShutdownOutput() => SocketOps.Shutdown(Fd, Sys.SHUT_WR);

        public void ReleaseBuffers()
        {
            if (_buffers.IsAttached)
            {
                _context.Buffers.Return(_buffers.Detach());
            }
        }

        void IValueSink.Send(StoredValue value)
        {
            _sending = value;
            _hasSending = true;
            _sendOffset = value.FileOffset;
            _sendRemaining = value.Length;
        }

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

        private void Sent(nint count)
        {
            _buffers.Sent((int)count);
            _context.Exchange.Stats.Sent(count);
        }

        private void DropValue()
        {
            if (_hasSending)
            {
                _hasSending = false;
                _sending.Release();
            }
        }
    }
}
