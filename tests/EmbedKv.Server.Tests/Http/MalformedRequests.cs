using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>
    /// The corpus of bad requests and the exact status each must get. The exchange tests run it through
    /// the exchange without a socket; the end-to-end tests send it to a live server over one.
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
            ("chunk size followed by junk", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n2 erfrferferf\r\nab\r\n0\r\n\r\n", 400),
            ("two chunk sizes", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3 9\r\nabc\r\n0\r\n\r\n", 400),
            ("whitespace between chunk size and extension", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n5 ;x\r\nhello\r\n0\r\n\r\n", 400),
            ("empty chunk size", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n\r\nabc\r\n0\r\n\r\n", 400),
            ("chunk extension without a name", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3;=v\r\nabc\r\n0\r\n\r\n", 400),
            ("control character in a chunk extension", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3;a=b\u0001\r\nabc\r\n0\r\n\r\n", 400),
            ("DEL in a quoted chunk extension", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3;a=\"b\u007f\"\r\nabc\r\n0\r\n\r\n", 400),
            ("chunk data ended by a bare LF", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\n0\r\n\r\n", 400),
            ("control character in a trailer field", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: a\u0001b\r\n\r\n", 400),
            ("trailer field without a colon", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T\r\n\r\n", 400),
            ("folded trailer field", "POST /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: a\r\n b\r\n\r\n", 400),
            ("HTTP/1.0 with Transfer-Encoding", "PUT /k HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
            ("HTTP/1.0 keep-alive with Transfer-Encoding", "PUT /k HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", 400),
            ("HTTP/1.0 with an unknown Transfer-Encoding", "PUT /k HTTP/1.0\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
            ("Host with a space", "GET /k HTTP/1.1\r\nHost: x y\r\n\r\n", 400),
            ("Host with userinfo", "GET /k HTTP/1.1\r\nHost: user@x\r\n\r\n", 400),
            ("Host with a path", "GET /k HTTP/1.1\r\nHost: x/y\r\n\r\n", 400),
            ("Host with a query", "GET /k HTTP/1.1\r\nHost: x?y\r\n\r\n", 400),
            ("Host with a fragment", "GET /k HTTP/1.1\r\nHost: x#y\r\n\r\n", 400),
            ("Host with an unclosed bracket", "GET /k HTTP/1.1\r\nHost: [::1\r\n\r\n", 400),
            ("Host with a stray bracket", "GET /k HTTP/1.1\r\nHost: x]\r\n\r\n", 400),
            ("Host with a bad IPv6 literal", "GET /k HTTP/1.1\r\nHost: [::g]\r\n\r\n", 400),
            ("Host with a non-numeric port", "GET /k HTTP/1.1\r\nHost: x:8o\r\n\r\n", 400),
            ("Host with two ports", "GET /k HTTP/1.1\r\nHost: x:1:2\r\n\r\n", 400),
            ("Host with bad percent-encoding", "GET /k HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400),
            ("Host with obs-text", "GET /k HTTP/1.1\r\nHost: caf\u00e9\r\n\r\n", 400),
            ("Host in HTTP/1.0 with a space", "GET /k HTTP/1.0\r\nHost: x y\r\n\r\n", 400),
            ("absolute-form with userinfo", "GET http://user@x/k HTTP/1.1\r\n" + H + "\r\n", 400),
            ("absolute-form with a bad port", "GET http://x:8o/k HTTP/1.1\r\n" + H + "\r\n", 400),
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
