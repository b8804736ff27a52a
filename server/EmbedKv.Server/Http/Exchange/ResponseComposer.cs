using System;
using System.Diagnostics;

namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>
    /// Writes answers into a connection's output: a head, or a head and a short text, for the request
    /// being answered (its method, version and persistence decide what goes in them). Each answer is
    /// counted in the request figures as it is queued.
    /// </summary>
    internal sealed class ResponseComposer
    {
        private readonly ExchangeContext _context;
        private readonly ConnectionBuffers _buffers;

        // What the answers depend on of the request being answered, as far as it was parsed.
        private HttpMethod _method;
        private bool _http11;
        private bool _keepAlive;

        // Stopwatch timestamp of the request's first byte, taken only while the duration histogram has a listener.
        private long _startedAt;

        public ResponseComposer(ExchangeContext context, ConnectionBuffers buffers)
        {
            _context = context;
            _buffers = buffers;
        }

        /// <summary>
        /// Whether the connection ends after this answer: the request asked for it (or HTTP/1.0 did not ask
        /// to keep it), or the server is stopping.
        /// </summary>
        public bool ConnectionEnds => !_keepAlive || _context.Stopping;

        /// <summary>
        /// The request being answered, as far as the answers depend on it: read while a waiting request's
        /// exchange is set aside, and set again, with a fresh answer start, when it resumes to answer.
        /// </summary>
        public AnsweredRequest Request
        {
            get => new AnsweredRequest(_method, _http11, _keepAlive, _startedAt);
            set
            {
                (_method, _http11, _keepAlive, _startedAt) = (value.Method, value.Http11, value.KeepAlive, value.StartedAt);
                _buffers.BeginAnswer();
            }
        }

        /// <summary>The server is stopping: every answer ends its connection, and nothing new should wait.</summary>
        public bool Stopping => _context.Stopping;

        /// <summary>Room for a value's bytes right behind its head.</summary>
        public Span<byte> Room => _buffers.OutputRoom;

        /// <summary>A request's first byte arrived: its answer starts here, and its duration counts from now.</summary>
        public void Begin()
        {
            _buffers.BeginAnswer();
            _startedAt = _context.Stats.TimesRequests ? Stopwatch.GetTimestamp() : 0;
        }

        /// <summary>The head was parsed (or refused partway): later answers follow what it said.</summary>
        public void For(in RequestHead request)
        {
            _method = request.Method;
            _http11 = request.Http11;
            _keepAlive = request.KeepAlive;
        }

        /// <summary>RFC 9110 §10.1.1: the client waits for this before it sends the body (curl does, over 1 MiB).</summary>
        public void Continue()
        {
            _buffers.Queue(StatusLines.For(100));
            _buffers.Queue("\r\n"u8);
            _buffers.BeginAnswer(); // an interim answer: the final one follows it
        }

        /// <summary>A head alone, or before a body the caller writes into <see cref="Room"/> or sends by sendfile.</summary>
        /// <param name="status">The status code.</param>
        /// <param name="contentLength">The body's length; -1 for none (1xx, 204, 304).</param>
        /// <param name="octetStream">Content-Type application/octet-stream (a value).</param>
        /// <param name="extraHeaders">CRLF-terminated lines after the standard ones (ETag, Content-Range, …).</param>
        public void Head(int status, long contentLength, bool octetStream, ReadOnlySpan<byte> extraHeaders = default)
        {
            Counted(status);
            bool close = ConnectionEnds;
            _buffers.Queued(ResponseWriter.Head(_buffers.OutputRoom, status, contentLength, octetStream, close, !_http11 && !close, _context.Date, extraHeaders));
        }

        /// <summary>The head of a JSON body (a listing) of <paramref name="contentLength"/> bytes.</summary>
        public void JsonHead(int status, long contentLength)
        {
            Counted(status);
            bool close = ConnectionEnds;
            _buffers.Queued(ResponseWriter.Head(_buffers.OutputRoom, status, contentLength, ResponseWriter.JsonType, close, !_http11 && !close, _context.Date));
        }

        /// <summary>A value's bytes (or part of them) behind its head, written into <see cref="Room"/>.</summary>
        public void Body(int length) => _buffers.Queued(length);

        public void Text(int status, ReadOnlySpan<byte> body) => Text(status, body, ConnectionEnds);

        /// <summary>
        /// A short text answer. To a HEAD only its head goes out, with the Content-Length a GET would get
        /// (RFC 9110 §9.3.2): the body used to be sent too, and on a keep-alive connection the client then
        /// read "not found\n" as the start of the next response.
        /// </summary>
        public void Text(int status, ReadOnlySpan<byte> body, bool close, ReadOnlySpan<byte> extraHeaders = default)
        {
            Counted(status);
            bool http10KeepAlive = !_http11 && !close;
            _buffers.Queued(_method == HttpMethod.Head
                ? ResponseWriter.Head(_buffers.OutputRoom, status, body.Length, octetStream: false, close, http10KeepAlive, _context.Date, extraHeaders)
                : ResponseWriter.Text(_buffers.OutputRoom, status, body, close, http10KeepAlive, _context.Date, extraHeaders));
        }

        /// <summary>The answer to a refused request (<see cref="Rejections"/>).</summary>
        public void Refusal(RejectReason reason, bool close)
        {
            Rejection rejection = Rejections.For(reason);
            Text(rejection.Status, rejection.Body, close, rejection.ExtraHeaders);
        }

        private void Counted(int status)
        {
            _context.Stats.Answered(_method, status, _startedAt);
            _startedAt = 0;
        }
    }

    /// <summary>What answers depend on of the request they answer (see <see cref="ResponseComposer.Request"/>).</summary>
    internal readonly record struct AnsweredRequest(HttpMethod Method, bool Http11, bool KeepAlive, long StartedAt);
}
