using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>One response as the strict reader understood it.</summary>
    internal sealed class WireResponse
    {
        public WireResponse(int status, string statusLine, List<KeyValuePair<string, string>> headers, byte[] body, bool headOnly)
        {
            Status = status;
            StatusLine = statusLine;
            Headers = headers;
            Body = body;
            HeadOnly = headOnly;
        }

        public int Status { get; }

        public string StatusLine { get; }

        public List<KeyValuePair<string, string>> Headers { get; }

        public byte[] Body { get; }

        /// <summary>Read as the answer to a HEAD: Content-Length announced, no body on the wire.</summary>
        public bool HeadOnly { get; }

        public bool Interim => Status < 200;

        public bool SaysClose => Header("Connection") == "close";

        public string? Header(string name) => Headers.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

        /// <summary>What must be equal however the request bytes were split: everything but the Date.</summary>
        /// <summary>The response without what differs from run to run: the Date, and the ETag (each run's writes get versions of their own).</summary>
        public string Canonical() => StatusLine + " {"
            + string.Join("; ", Headers.Where(h => !h.Key.Equals("Date", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("ETag", StringComparison.OrdinalIgnoreCase)).OrderBy(h => h.Key, StringComparer.OrdinalIgnoreCase).Select(h => h.Key + ": " + h.Value))
            + "}" + (HeadOnly ? " (head only)" : " " + WireText.Escape(Body));

        public override string ToString() => Canonical();
    }

    /// <summary>
    /// A strict reader of everything a server sent on one connection: each response must be exactly what
    /// ResponseWriter can produce (a documented status with its reason phrase, only the headers it writes,
    /// each once, a valid Date, a Content-Length that matches the body), and the stream must end on a
    /// response boundary, with nothing after a response that said Connection: close.
    /// </summary>
    internal static class ResponseStream
    {
        /// <summary>The statuses docs/server.md lists, with the reason phrases Http/StatusLines.cs sends.</summary>
        public static readonly IReadOnlyDictionary<int, string> Documented = new Dictionary<int, string>
        {
            [100] = "Continue", [200] = "OK", [201] = "Created", [204] = "No Content", [206] = "Partial Content",
            [304] = "Not Modified", [400] = "Bad Request", [404] = "Not Found", [405] = "Method Not Allowed",
            [411] = "Length Required", [412] = "Precondition Failed", [413] = "Content Too Large",
            [414] = "URI Too Long", [416] = "Range Not Satisfiable", [417] = "Expectation Failed", [431] = "Request Header Fields Too Large",
            [500] = "Internal Server Error", [501] = "Not Implemented", [503] = "Service Unavailable",
            [505] = "HTTP Version Not Supported", [507] = "Insufficient Storage",
        };

        private static readonly HashSet<string> KnownHeaders = new HashSet<string>(StringComparer.Ordinal)
        {
            "Date", "Content-Type", "Content-Length", "Connection", "Allow", "ETag", "Accept-Ranges", "Expires", "Content-Range", "Retry-After",
        };

        private static readonly System.Text.RegularExpressions.Regex OurTag = new System.Text.RegularExpressions.Regex("^\"[0-9a-f]{16}\"$");

        /// <summary>
        /// Reads the whole stream. <paramref name="headPossible"/> says whether some request may have been a
        /// HEAD: its answer has a Content-Length but no body, which the stream alone cannot tell apart from a
        /// body, so the reader tries the body first and the bodiless reading only if the body reading fails.
        /// </summary>
        public static (List<WireResponse> Responses, string? Error) Parse(ReadOnlySpan<byte> stream, bool headPossible)
        {
            var responses = new List<WireResponse>();
            var failure = new Failure();
            return ParseFrom(stream.ToArray(), 0, headPossible, responses, failure) ? (responses, null) : (responses, failure.Error);
        }

        private static bool ParseFrom(byte[] stream, int position, bool headPossible, List<WireResponse> responses, Failure failure)
        {
            if (position == stream.Length)
            {
                return true;
            }

            int mark = responses.Count;
            string? error = ReadHead(stream, position, out string statusLine, out int status, out List<KeyValuePair<string, string>> headers, out int bodyStart);
            if (error is not null)
            {
                return failure.Note(position, error + " at offset " + position);
            }

            long length = status is 100 or 204 or 304 ? 0 : Length(headers);
            if (length >= 0 && bodyStart + length <= stream.Length)
            {
                byte[] body = stream.AsSpan(bodyStart, (int)length).ToArray();
                string? bodyError = CheckBody(status, body);
                if (bodyError is not null)
                {
                    failure.Note(bodyStart, bodyError);
                }
                else
                {
                    var response = new WireResponse(status, statusLine, headers, body, headOnly: false);
                    responses.Add(response);
                    if (After(response, stream, bodyStart + (int)length, headPossible, responses, failure))
                    {
                        return true;
                    }

                    responses.RemoveRange(mark, responses.Count - mark);
                }
            }
            else
            {
                failure.Note(bodyStart, "the stream ended after " + (stream.Length - bodyStart) + " of " + length + " body bytes of " + statusLine);
            }

            if (length > 0 && headPossible)
            {
                var response = new WireResponse(status, statusLine, headers, Array.Empty<byte>(), headOnly: true);
                responses.Add(response);
                if (After(response, stream, bodyStart, headPossible, responses, failure))
                {
                    return true;
                }

                responses.RemoveRange(mark, responses.Count - mark);
            }

            return false;
        }

        private static bool After(WireResponse response, byte[] stream, int next, bool headPossible, List<WireResponse> responses, Failure failure)
        {
            if (response.SaysClose && next < stream.Length)
            {
                return failure.Note(next, "bytes after a response that said Connection: close (" + response.StatusLine + "): "
                    + WireText.Escape(stream.AsSpan(next, Math.Min(200, stream.Length - next))));
            }

            return ParseFrom(stream, next, headPossible, responses, failure);
        }

        private static string? ReadHead(byte[] stream, int position, out string statusLine, out int status, out List<KeyValuePair<string, string>> headers, out int bodyStart)
        {
            statusLine = string.Empty;
            status = 0;
            headers = new List<KeyValuePair<string, string>>();
            bodyStart = 0;
            int end = stream.AsSpan(position).IndexOf("\r\n\r\n"u8);
            if (end < 0)
            {
                return "a response head cut off by the end of the stream: " + WireText.Escape(stream.AsSpan(position, Math.Min(200, stream.Length - position)));
            }

            string head = Encoding.Latin1.GetString(stream, position, end);
            bodyStart = position + end + 4;
            string[] lines = head.Split("\r\n");
            if (lines.Any(line => line.IndexOfAny(new[] { '\r', '\n' }) >= 0))
            {
                return "a bare CR or LF in a response head: " + WireText.Escape(Encoding.Latin1.GetBytes(head));
            }

            statusLine = lines[0];
            if (statusLine.Length < 13 || !statusLine.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) || statusLine[12] != ' '
                || !int.TryParse(statusLine.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture, out status))
            {
                return "a malformed status line: " + WireText.Escape(Encoding.Latin1.GetBytes(statusLine));
            }

            if (!Documented.TryGetValue(status, out string? reason) || statusLine.Substring(13) != reason)
            {
                return "an undocumented status or reason: " + statusLine;
            }

            for (int i = 1; i < lines.Length; i++)
            {
                int colon = lines[i].IndexOf(": ", StringComparison.Ordinal);
                string name = colon > 0 ? lines[i].Substring(0, colon) : lines[i];
                if (colon <= 0 || !KnownHeaders.Contains(name))
                {
                    return "a header the server does not write: " + WireText.Escape(Encoding.Latin1.GetBytes(lines[i])) + " in " + statusLine;
                }

                if (headers.Any(h => h.Key == name))
                {
                    return "header " + name + " twice in " + statusLine;
                }

                headers.Add(new KeyValuePair<string, string>(name, lines[i].Substring(colon + 2)));
            }

            return CheckHeaders(status, statusLine, headers);
        }

        private static string? CheckHeaders(int status, string statusLine, List<KeyValuePair<string, string>> headers)
        {
            string? Get(string name) => headers.FirstOrDefault(h => h.Key == name).Value;
            if (status == 100)
            {
                return headers.Count == 0 ? null : "100 Continue with headers";
            }

            if (Get("Date") is not { } date || !DateTime.TryParseExact(date, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out _))
            {
                return "no valid Date in " + statusLine;
            }

            string? connection = Get("Connection");
            if (connection is not null and not "close" and not "keep-alive")
            {
                return "Connection: " + connection + " in " + statusLine;
            }

            if ((Get("Allow") is not null) != (status == 405) || (status == 405 && Get("Allow") != "GET, HEAD, PUT, POST, DELETE"))
            {
                return "Allow wrong for " + statusLine;
            }

            // docs/server.md: the connection cap's 503 says when to come back; nothing else does.
            if (Get("Retry-After") is { } retry && (retry != "1" || status != 503))
            {
                return "Retry-After wrong for " + statusLine;
            }

            // docs/api.md: a strong tag of our form on every answer about a value (a 204 of a DELETE has none).
            string? etag = Get("ETag");
            if ((etag is null && status is 200 or 201 or 206 or 304) || (etag is not null && (status is not (200 or 201 or 204 or 206 or 304) || !OurTag.IsMatch(etag))))
            {
                return "ETag '" + etag + "' in " + statusLine;
            }

            if ((Get("Accept-Ranges") is { } ranges && (ranges != "bytes" || status is not (200 or 206))) || (Get("Accept-Ranges") is null && status is 200 or 206))
            {
                return "Accept-Ranges wrong in " + statusLine;
            }

            if ((Get("Content-Range") is not null) != (status is 206 or 416))
            {
                return "Content-Range wrong in " + statusLine;
            }

            if (Get("Expires") is { } expires && (status is not (200 or 206 or 304) || !DateTime.TryParseExact(expires, "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out _)))
            {
                return "Expires '" + expires + "' in " + statusLine;
            }

            string? lengthText = Get("Content-Length");
            if (status == 304)
            {
                // RFC 9110 §15.4.5: no body; the server sends no Content-Length or Content-Type with it.
                return lengthText is null && Get("Content-Type") is null ? null : "304 with Content-Length or Content-Type";
            }

            if (status == 204)
            {
                // RFC 9110 §8.6 forbids Content-Length on 204 (and the server sends no body with it).
                return lengthText is null && Get("Content-Type") is null ? null : "204 with Content-Length or Content-Type";
            }

            if (lengthText is null || lengthText.Length == 0 || !lengthText.All(char.IsAsciiDigit) || (lengthText.Length > 1 && lengthText[0] == '0'))
            {
                return "missing or malformed Content-Length '" + lengthText + "' in " + statusLine;
            }

            long length = Length(headers);
            string? type = Get("Content-Type");
            string? expectedType = status is 200 or 206 ? "application/octet-stream" : length > 0 ? "text/plain; charset=utf-8" : null;
            if (type != expectedType)
            {
                return "Content-Type '" + type + "' in " + statusLine + " with length " + length;
            }

            return status == 201 && length != 0 ? "201 with a body" : null;
        }

        private static string? CheckBody(int status, byte[] body)
        {
            if (status is 200 or 206 || body.Length == 0)
            {
                return null;
            }

            // Refusals and 404 carry one short line of text.
            bool text = body[^1] == (byte)'\n' && body.AsSpan(0, body.Length - 1).IndexOfAnyExceptInRange((byte)0x20, (byte)0x7E) < 0;
            return text ? null : "a text body that is not one line of text: " + WireText.Escape(body);
        }

        private static long Length(List<KeyValuePair<string, string>> headers)
        {
            string? text = headers.FirstOrDefault(h => h.Key == "Content-Length").Value;
            return text is not null && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long length) ? length : -1;
        }

        /// <summary>
        /// Of all the readings tried (with and without HEAD bodies), the one that got furthest explains the
        /// stream best: its error is the one reported (at a tie, the later reading, which is the bodiless one
        /// after a body that did not read as one).
        /// </summary>
        private sealed class Failure
        {
            private int _offset = -1;

            public string Error { get; private set; } = "unreadable";

            public bool Note(int offset, string error)
            {
                if (offset >= _offset)
                {
                    _offset = offset;
                    Error = error;
                }

                return false;
            }
        }
    }

    /// <summary>Bytes as C#-escaped text, so a failing case can be pasted back as a string literal.</summary>
    internal static class WireText
    {
        public static string Escape(ReadOnlySpan<byte> bytes)
        {
            var text = new StringBuilder(bytes.Length + 2);
            text.Append('"');
            foreach (byte b in bytes)
            {
                text.Append(b switch
                {
                    (byte)'\r' => "\\r",
                    (byte)'\n' => "\\n",
                    (byte)'\t' => "\\t",
                    (byte)'"' => "\\\"",
                    (byte)'\\' => "\\\\",
                    _ when b < 0x20 || b >= 0x7F => "\\u00" + b.ToString("x2", CultureInfo.InvariantCulture),
                    _ => ((char)b).ToString(),
                });
            }

            return text.Append('"').ToString();
        }
    }
}
