using System;
using EmbedKv.Runtime.Net;
using EmbedKv.Server.Http;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// A connection's answers: heads and short texts composed into its output area (counted in the
    /// request figures as they are queued), small values copied behind their head, and the 500 that
    /// replaces an answer not yet begun when serving the connection threw.
    /// </summary>
    internal sealed unsafe partial class Connection
    {
        private void QueueHead(int status, long contentLength, bool octetStream)
        {
            Answered(status);
            bool close = !_head.KeepAlive || _context.Stopping;
            int written = ResponseWriter.Head(Output.Slice(_outEnd), status, contentLength, octetStream, close, !_head.Http11 && !close, _context.Date);
            _outEnd += written;
        }

        /// <summary>
        /// RFC 4918 §11.5 (507 Insufficient Storage): the server cannot store the representation. The store
        /// takes writes again once space is freed, without a restart, so the client may retry; reads go on.
        /// </summary>
        private static ReadOnlySpan<byte> DiskFullText => "the disk is full: nothing was stored; retry once space is freed\n"u8;

        private void QueueDiskFull() => QueueText(507, DiskFullText);

        private void QueueText(int status, ReadOnlySpan<byte> body)
        {
            bool close = !_head.KeepAlive || _context.Stopping;
            _outEnd += WriteText(status, body, close);
        }

        /// <summary>
        /// A short text response at the end of the output. To a HEAD only its head goes out, with the
        /// Content-Length a GET would get (RFC 9110 §9.3.2): the body used to be sent too, and on a
        /// keep-alive connection the client then read "not found\n" as the start of the next response.
        /// </summary>
        private int WriteText(int status, ReadOnlySpan<byte> body, bool close, ReadOnlySpan<byte> extraHeaders = default)
        {
            Answered(status);
            bool http10KeepAlive = !_head.Http11 && !close;
            return _head.Method == HttpMethod.Head
                ? ResponseWriter.Head(Output.Slice(_outEnd), status, body.Length, octetStream: false, close, http10KeepAlive, _context.Date, extraHeaders)
                : ResponseWriter.Text(Output.Slice(_outEnd), status, body, close, http10KeepAlive, _context.Date, extraHeaders);
        }

        private void Answered(int status)
        {
            _context.Stats.Answered(_head.Method, status, _startedAt);
            _startedAt = 0;
        }

        /// <summary>Copies a small value behind its head in the output, so both leave in one send.</summary>
        private void QueueValue(StoredValue value)
        {
            try
            {
                int read = _context.Store.ReadValue(value, 0, Output.Slice(_outEnd, (int)value.Length));
                if (read != value.Length)
                {
                    // The file is shorter than the index said: nothing sensible can follow on this stream.
                    Close();
                    return;
                }

                _outEnd += read;
            }
            catch (System.IO.IOException)
            {
                Close(); // the head is out of step with what could be sent: end the stream
            }
            finally
            {
                value.Release();
            }
        }

        private void Queue(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(Output.Slice(_outEnd));
            _outEnd += bytes.Length;
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
            if (!_answerSent && _block is not null && _phase != Phase.Linger)
            {
                if (_hasSending)
                {
                    _sending.Release();
                    _hasSending = false;
                }

                // Whatever of this request's answer was queued is dropped: a head without its body would
                // lie to the client.
                _outEnd = Math.Max(_answerStart, _outStart);
                if (BlockLayout.OutputSize - _outEnd >= 512)
                {
                    _outEnd += WriteText(500, "the request could not be served\n"u8, close: true);
                    told = "answered 500";
                }

                // One attempt, without waiting: the connection is not driven again.
                while (_outEnd > _outStart)
                {
                    nint sent = SocketOps.Send(Fd, Output.Slice(_outStart, _outEnd - _outStart));
                    if (sent <= 0)
                    {
                        told += ", not all of it sent";
                        break;
                    }

                    _outStart += (int)sent;
                    _context.Stats.Sent(sent);
                }
            }

            Close();
            return told;
        }
    }
}
