using System;
using System.Buffers.Text;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// Writes a response head (and a short text body) into a span: status line, Date, Content-Type,
    /// Content-Length (on every response that may have one: not 204, see RFC 9110 §8.6), and Connection
    /// when it differs from the version's default.
    /// Returns 0 if the span is too small, so the caller flushes and tries again.
    /// </summary>
    internal static class ResponseWriter
    {
        /// <summary>The Content-Type line of a listing (docs/api.md).</summary>
        public static ReadOnlySpan<byte> JsonType => "Content-Type: application/json\r\n"u8;

        public static int Head(Span<byte> destination, int status, long contentLength, bool octetStream, bool close, bool http10KeepAlive, HttpDate date, ReadOnlySpan<byte> extraHeaders = default)
        {
            ReadOnlySpan<byte> type = octetStream ? "Content-Type: application/octet-stream\r\n"u8
                : contentLength > 0 ? "Content-Type: text/plain; charset=utf-8\r\n"u8 : default;
            return Head(destination, status, contentLength, type, close, http10KeepAlive, date, extraHeaders);
        }

        /// <summary>A head with the Content-Type line given (empty: none).</summary>
        public static int Head(Span<byte> destination, int status, long contentLength, ReadOnlySpan<byte> contentTypeLine, bool close, bool http10KeepAlive, HttpDate date, ReadOnlySpan<byte> extraHeaders = default)
        {
            var w = new SpanWriter(destination);
            w.Write(StatusLines.For(status));
            w.Write(date.Line);
            w.Write(contentTypeLine);

            if (contentLength >= 0)
            {
                // Omitted only for 1xx and 204, where RFC 9110 §8.6 forbids it.
                w.Write("Content-Length: "u8);
                w.WriteNumber(contentLength);
                w.Write("\r\n"u8);
            }

            if (close)
            {
                w.Write("Connection: close\r\n"u8);
            }
            else if (http10KeepAlive)
            {
                w.Write("Connection: keep-alive\r\n"u8);
            }

            w.Write(extraHeaders);
            w.Write("\r\n"u8);
            return w.Failed ? 0 : w.Written;
        }

        /// <summary>A whole text response: head and body.</summary>
        public static int Text(Span<byte> destination, int status, ReadOnlySpan<byte> body, bool close, bool http10KeepAlive, HttpDate date, ReadOnlySpan<byte> extraHeaders = default)
        {
            int head = Head(destination, status, body.Length, octetStream: false, close, http10KeepAlive, date, extraHeaders);
            if (head == 0 || head + body.Length > destination.Length)
            {
                return 0;
            }

            body.CopyTo(destination.Slice(head));
            return head + body.Length;
        }

        private ref struct SpanWriter
        {
            private readonly Span<byte> _destination;

            public SpanWriter(Span<byte> destination)
            {
                _destination = destination;
                Written = 0;
                Failed = false;
            }

            public int Written { get; private set; }

            public bool Failed { get; private set; }

            public void Write(ReadOnlySpan<byte> bytes)
            {
                if (Failed || !bytes.TryCopyTo(_destination.Slice(Written)))
                {
                    Failed = true;
                    return;
                }

                Written += bytes.Length;
            }

            public void WriteNumber(long value)
            {
                if (Failed || !Utf8Formatter.TryFormat(value, _destination.Slice(Written), out int length))
                {
                    Failed = true;
                    return;
                }

                Written += length;
            }
        }
    }
}
