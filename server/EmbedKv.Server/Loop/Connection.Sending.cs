using System;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Net;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// A connection's way out: queued output and values (by sendfile) sent until the socket is full or the
    /// turn's budget is spent, and the lingering close that lets a client read its answer before the end.
    /// </summary>
    internal sealed unsafe partial class Connection
    {
        /// <summary>Sends queued output, then the value being sent; false if it must wait for EPOLLOUT or the connection closed.</summary>
        private bool Flush(long now)
        {
            bool progress = false;
            while (_outEnd > _outStart)
            {
                nint sent = SocketOps.Send(Fd, Output.Slice(_outStart, _outEnd - _outStart), more: _hasSending);
                if (sent < 0)
                {
                    return SendFailed(sent, progress, now);
                }

                _outStart += (int)sent;
                _answerSent |= _outStart > _answerStart;
                _context.Stats.Sent(sent);
                progress = true;
            }

            _outStart = _outEnd = _answerStart = 0;
            while (_hasSending)
            {
                nint sent = SocketOps.SendFile(Fd, _sending.FileDescriptor, ref _sendOffset, _sendRemaining);
                if (sent < 0)
                {
                    return SendFailed(sent, progress, now);
                }

                if (sent == 0)
                {
                    // The file is shorter than the index said: nothing sensible can follow on this stream.
                    Close();
                    return false;
                }

                progress = true;
                _context.Stats.Sent(sent);
                _sendRemaining -= sent;
                _turnBytes += (int)sent;
                if (_sendRemaining == 0)
                {
                    _sending.Release();
                    _hasSending = false;
                }
                else if (_turnBytes >= TurnByteBudget)
                {
                    // A fast reader of a large value would otherwise keep the loop in sendfile to the end. The
                    // value is still going out: held to BodyTimeout for progress, as in SendFailed.
                    Yielded = true;
                    Deadline = now + (long)_context.Limits.BodyTimeout.TotalMilliseconds;
                    return false;
                }
            }

            if (progress && !_requestStarted && _phase == Phase.Head)
            {
                // Idle from when the response has gone out, not from when it was queued.
                Deadline = now + (long)_context.Limits.IdleTimeout.TotalMilliseconds;
            }

            return true;
        }

        private bool SendFailed(nint error, bool progress, long now)
        {
            if (error != -Sys.EAGAIN)
            {
                Close(); // EPIPE, ECONNRESET: the peer is gone
            }
            else if (progress)
            {
                // A response still going out is not idle: it is held to BodyTimeout for progress, as a
                // request body is. It used to keep the IdleTimeout deadline EndRequest set, so a client that
                // paused reading a large value for longer than IdleTimeout had its download cut short.
                Deadline = now + (long)_context.Limits.BodyTimeout.TotalMilliseconds;
            }

            return false;
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
            _readStart = _readEnd = 0;
            SocketOps.Shutdown(Fd, Sys.SHUT_WR);
            Deadline = now + Math.Min(LingerMilliseconds, (long)_context.Limits.BodyTimeout.TotalMilliseconds);
        }

        /// <summary>
        /// The last request said close (or the server is stopping): nothing after it on this connection is
        /// processed (RFC 9112 §9.6). Pipelined bytes are dropped, and since the client may still be
        /// sending, the close lingers rather than resetting the answer away.
        /// </summary>
        private Step DropInputAfterClose()
        {
            if (_readEnd > _readStart)
            {
                _readStart = _readEnd;
                _lingerAfterSend = true;
            }

            return Step.NeedInput;
        }

        private Step Discard()
        {
            _readStart = _readEnd = 0;
            if (Environment.TickCount64 >= Deadline)
            {
                // A client that never stops sending is not drained forever (the timer cannot run while
                // this connection's input never runs dry).
                Close();
                return Step.Wait;
            }

            return Step.NeedInput;
        }
    }
}
