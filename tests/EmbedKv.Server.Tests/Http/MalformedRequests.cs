using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>
    /// The corpus of bad requests and the exact status each must get. The parser tests run it against
    /// the parser; the end-to-end tests send it to a live server over a socket.
    /// </summary>
    public static class MalformedRequests
    {
        private const string H = "Host: x\r\n";

        public static IReadOnlyList<(string Name, string Request, int Status)> All { get; } = new List<(string, string, int)>
        {
            ("bare LF ends the request line", "GET /k HTTP/1.1\n" + H + "\r\n", 400),
            ("bare LF ends a header line", "GET /k HTTP/1.1\r\nHost: x\n\r\n", 400),
            ("bare CR inside the request line", "GET /k\rx HTTP/1.1\r\n" + H + "\r\n", 400),
            ("bare CR inside a header value", "GET /k HTTP/1.1\r\n" + H + "X-A: b\rc\r\n\r\n", 400),
            ("NUL in a header value", "GET /k HTTP/1.1\r\n" + H + "X-A: b\0c\r\n\r\n", 400),
            ("escape character in a header value", "GET /k HTTP/1.1\r\n" + H + "X-A: b\u001bc\r\n\r\n", 400),
            ("DEL in a header value", "GET /k HTTP/1.1\r\n" + H + "X-A: b\u007fc\r\n\r\n", 400),
            ("NUL in the target", "GET /k\0 HTTP/1.1\r\n" + H + "\r\n", 400),
            ("space before the colon", "GET /k HTTP/1.1\r\nHost : x\r\n\r\n", 400),
            ("tab before the colon", "GET /k HTTP/1.1\r\n" + H + "X-A\t: b\r\n\r\n", 400),
            ("obs-fold continuation line", "GET /k HTTP/1.1\r\n" + H + "X-A: b\r\n  c\r\n\r\n", 400),
            ("header without colon", "GET /k HTTP/1.1\r\n" + H + "X-A b\r\n\r\n", 400),
            ("header name with a space inside", "GET /k HTTP/1.1\r\n" + H + "X A: b\r\n\r\n", 400),
            ("empty header name", "GET /k HTTP/1.1\r\n" + H + ": b\r\n\r\n", 400),
            ("both Content-Length and Transfer-Encoding", "POST /k HTTP/1.1\r\n" + H + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
            ("duplicate Content-Length", "POST /k HTTP/1.1\r\n" + H + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400),
            ("Content-Length list", "POST /k HTTP/1.1\r\n" + H + "Content-Length: 3, 3\r\n\r\nabc", 400),
            ("non-numeric Content-Length", "POST /k HTTP/1.1\r\n" + H + "Content-Length: abc\r\n\r\n", 400),
            ("negative Content-Length", "POST /k HTTP/1.1\r\n" + H + "Content-Length: -1\r\n\r\n", 400),
            ("plus-signed Content-Length", "POST /k HTTP/1.1\r\n" + H + "Content-Length: +3\r\n\r\nabc", 400),
            ("empty Content-Length", "POST /k HTTP/1.1\r\n" + H + "Content-Length: \r\n\r\n", 400),
            ("missing Host in HTTP/1.1", "GET /k HTTP/1.1\r\n\r\n", 400),
            ("doubled Host", "GET /k HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
            ("TLS ClientHello", "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003", 400),
            ("lower-case version", "GET /k http/1.1\r\n" + H + "\r\n", 400),
            ("missing version", "GET /k\r\n" + H + "\r\n", 400),
            ("two spaces after the method", "GET  /k HTTP/1.1\r\n" + H + "\r\n", 400),
            ("method with a slash", "GE/T /k HTTP/1.1\r\n" + H + "\r\n", 400),
            ("relative target", "GET k HTTP/1.1\r\n" + H + "\r\n", 400),
            ("absolute-form without authority", "GET http:///k HTTP/1.1\r\n" + H + "\r\n", 400),
            ("bad percent-encoding", "GET /a%zzb HTTP/1.1\r\n" + H + "\r\n", 400),
            ("truncated percent-encoding", "GET /ab%4 HTTP/1.1\r\n" + H + "\r\n", 400),
            ("chunk size not hex", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400),
            ("chunk size with a bare LF", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\nabc\r\n0\r\n\r\n", 400),
            ("oversized chunk size", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n", 400),
            ("chunk data longer than its size", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n0\r\n\r\n", 400),
            ("chunked twice", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400),
            ("request line over 8 KiB", "GET /" + new string('a', 9000) + " HTTP/1.1\r\n" + H + "\r\n", 414),
            ("key over 1024 bytes", "GET /" + new string('k', 1025) + " HTTP/1.1\r\n" + H + "\r\n", 414),
            ("key over 1024 bytes once decoded", "GET /" + string.Concat(Enumerable.Repeat("%41", 1025)) + " HTTP/1.1\r\n" + H + "\r\n", 414),
            ("header section over 16 KiB", "GET /k HTTP/1.1\r\n" + H + string.Concat(Enumerable.Range(0, 40).Select(i => "X-" + i + ": " + new string('v', 500) + "\r\n")) + "\r\n", 431),
            ("101 header fields", "GET /k HTTP/1.1\r\n" + H + string.Concat(Enumerable.Range(0, 100).Select(i => "X-" + i + ": v\r\n")) + "\r\n", 431),
            ("value over 1 GiB", "PUT /k HTTP/1.1\r\n" + H + "Content-Length: 1073741825\r\n\r\n", 413),
            ("absurd Content-Length", "PUT /k HTTP/1.1\r\n" + H + "Content-Length: 99999999999999999999999\r\n\r\n", 413),
            ("PATCH", "PATCH /k HTTP/1.1\r\n" + H + "Content-Length: 1\r\n\r\nx", 405),
            ("OPTIONS", "OPTIONS /k HTTP/1.1\r\n" + H + "\r\n", 405),
            ("lower-case get", "get /k HTTP/1.1\r\n" + H + "\r\n", 405),
            ("gzip transfer coding", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip\r\n\r\n", 501),
            ("gzip then chunked", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501),
            ("HTTP/2.0", "GET /k HTTP/2.0\r\n" + H + "\r\n", 505),
            ("HTTP/0.9 style version", "GET /k HTTP/0.9\r\n" + H + "\r\n", 505),
            ("POST without length", "POST /k HTTP/1.1\r\n" + H + "\r\n", 411),
            ("PUT without length", "PUT /k HTTP/1.1\r\n" + H + "\r\n", 411),
            ("unknown expectation", "PUT /k HTTP/1.1\r\n" + H + "Expect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
        };

        public static IEnumerable<object[]> Names => All.Select(c => new object[] { c.Name });

        public static (string Name, string Request, int Status) Get(string name) => All.Single(c => c.Name == name);

        /// <summary>The bytes on the wire: each char is one byte (Latin-1), so control bytes go out as written.</summary>
        public static byte[] Bytes(string request) => Encoding.Latin1.GetBytes(request);
    }
}
