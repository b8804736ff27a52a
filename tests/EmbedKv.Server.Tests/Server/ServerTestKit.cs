using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// A real server on 127.0.0.1, port 0, two loops, over its own temporary data directory; or, made by
    /// <see cref="OnBackend"/>, over a backend such as etcd's (the API suites in Api/Contract run on both).
    /// </summary>
    internal sealed class TestServer : IDisposable
    {
        private readonly TempDirectory? _dir;
        private readonly IDisposable? _backend;

        private TestServer(KvServer server, TempDirectory? dir, IDisposable? backend)
        {
            Server = server;
            _dir = dir;
            _backend = backend;
        }

        public KvServer Server { get; }

        public int Port => Server.Port;

        public string DataDirectory => _dir?.Path ?? throw new InvalidOperationException("this server's keys are in " + Server.Options.Backend!.Description);

        public static TestServer Start(Action<KvServerOptions>? configure = null)
        {
            var dir = new TempDirectory();
            try
            {
                return new TestServer(KvServer.Start(Options(dir.Path, configure)), dir, null);
            }
            catch
            {
                dir.Dispose();
                throw;
            }
        }

        /// <summary>
        /// A server on <paramref name="backend"/> instead of a data directory, with the same options otherwise;
        /// <paramref name="owned"/> (what holds the backend's connections) is disposed after the server stops.
        /// </summary>
        public static TestServer OnBackend(IKvBackend backend, IDisposable owned, Action<KvServerOptions>? configure = null)
        {
            try
            {
                var options = new KvServerOptions { Port = 0, Backend = backend, Workers = 2 };
                configure?.Invoke(options);
                return new TestServer(KvServer.Start(options), null, owned);
            }
            catch
            {
                owned.Dispose();
                throw;
            }
        }

        public static KvServerOptions Options(string dataDirectory, Action<KvServerOptions>? configure = null)
        {
            var options = new KvServerOptions { Port = 0, DataDirectory = dataDirectory, Workers = 2 };
            configure?.Invoke(options);
            return options;
        }

        /// <summary>An HttpClient of its own (its own connections), with a timeout that fails a hung test instead of hanging it.</summary>
        public HttpClient Client() => NewClient(Server.BaseAddress);

        public static HttpClient NewClient(Uri baseAddress) => new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

        public RawConnection Connect() => new RawConnection(Port);

        public void Dispose()
        {
            Server.Dispose();
            _backend?.Dispose();
            _dir?.Dispose();
        }
    }

    /// <summary>One response as it came off the wire.</summary>
    internal sealed class RawResponse
    {
        public RawResponse(string statusLine, int status, List<KeyValuePair<string, string>> headers, byte[] body)
        {
            StatusLine = statusLine;
            Status = status;
            Headers = headers;
            Body = body;
        }

        public string StatusLine { get; }

        public int Status { get; }

        public List<KeyValuePair<string, string>> Headers { get; }

        public byte[] Body { get; }

        public string BodyText => Encoding.UTF8.GetString(Body);

        public string? Header(string name)
        {
            string? found = null;
            foreach (KeyValuePair<string, string> header in Headers)
            {
                if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
                {
                    Assert.True(found is null, "header " + name + " appears twice in " + StatusLine);
                    found = header.Value;
                }
            }

            return found;
        }

        public bool SaysClose => string.Equals(Header("Connection"), "close", StringComparison.OrdinalIgnoreCase);

        public override string ToString() => StatusLine;
    }

    /// <summary>
    /// A raw TCP client for byte-exact requests: it sends exactly what it is given and parses responses
    /// from the byte stream itself (status line, headers, Content-Length body), so pipelined responses
    /// and stray bytes are seen as they are.
    /// </summary>
    internal sealed class RawConnection : IDisposable
    {
        private readonly Socket _socket;
        private byte[] _buffer = new byte[64 * 1024];
        private int _start;
        private int _end;

        public RawConnection(int port, int timeoutMilliseconds = 10_000)
        {
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            _socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            _socket.ReceiveTimeout = timeoutMilliseconds;
            _socket.SendTimeout = timeoutMilliseconds;
        }

        public Socket Socket => _socket;

        /// <summary>Bytes received but not yet consumed by a parsed response.</summary>
        public int Buffered => _end - _start;

        public void Send(string latin1) => Send(Encoding.Latin1.GetBytes(latin1));

        public void Send(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                int sent = _socket.Send(bytes);
                bytes = bytes.Slice(sent);
            }
        }

        /// <summary>Reads one response; <paramref name="toHead"/> means it answers a HEAD (no body follows).</summary>
        public RawResponse ReadResponse(bool toHead = false)
        {
            int headEnd;
            while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (!Fill())
                {
                    throw new IOException("the server closed the connection before a whole response head; had: "
                        + Encoding.Latin1.GetString(_buffer, _start, _end - _start));
                }
            }

            string head = Encoding.Latin1.GetString(_buffer, _start, headEnd);
            _start += headEnd + 4;
            string[] lines = head.Split("\r\n");
            string statusLine = lines[0];
            Assert.StartsWith("HTTP/1.1 ", statusLine);
            int status = int.Parse(statusLine.AsSpan(9, 3), NumberStyles.None, CultureInfo.InvariantCulture);
            Assert.True(statusLine.Length > 13 && statusLine[12] == ' ', "malformed status line: " + statusLine);
            var headers = new List<KeyValuePair<string, string>>();
            for (int i = 1; i < lines.Length; i++)
            {
                int colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                Assert.True(colon > 0, "malformed header line: " + lines[i]);
                headers.Add(new KeyValuePair<string, string>(lines[i].Substring(0, colon), lines[i].Substring(colon + 1).Trim()));
            }

            var response = new RawResponse(statusLine, status, headers, Array.Empty<byte>());
            string? lengthText = response.Header("Content-Length");
            if (status < 200 || status == 204 || status == 304)
            {
                Assert.True(lengthText is null, statusLine + " must not have Content-Length (RFC 9110 §8.6)");
                return response;
            }

            Assert.True(lengthText is not null, statusLine + " has no Content-Length");
            long length = long.Parse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture);
            if (toHead)
            {
                return response;
            }

            Assert.True(length <= 256 << 20, "body too large for RawConnection: " + length);
            byte[] body = new byte[length];
            int have = 0;
            while (have < body.Length)
            {
                if (_end == _start && !Fill())
                {
                    throw new IOException("the server closed the connection after " + have + " of " + length + " body bytes of " + statusLine);
                }

                int take = Math.Min(_end - _start, body.Length - have);
                _buffer.AsSpan(_start, take).CopyTo(body.AsSpan(have));
                _start += take;
                have += take;
            }

            return new RawResponse(statusLine, status, headers, body);
        }

        /// <summary>Sends <paramref name="request"/> and reads its answer, which must have <paramref name="status"/> (else the test fails showing the body).</summary>
        public RawResponse Exchange(string request, int status, bool toHead = false) => Exchange(Encoding.Latin1.GetBytes(request), status, toHead);

        /// <inheritdoc cref="Exchange(string, int, bool)"/>
        public RawResponse Exchange(byte[] request, int status, bool toHead = false)
        {
            Send(request);
            RawResponse response = ReadResponse(toHead);
            Assert.True(status == response.Status, "expected " + status + ", got " + response.StatusLine + " " + response.BodyText);
            return response;
        }

        /// <summary>
        /// Waits for the server to close the connection: true if it did (end of stream or reset) within
        /// <paramref name="timeout"/>; any bytes that arrive meanwhile fail the test (nothing should follow).
        /// </summary>
        public bool WaitClosed(TimeSpan timeout)
        {
            Assert.True(Buffered == 0, "unexpected bytes after the last response: " + Encoding.Latin1.GetString(_buffer, _start, _end - _start));
            var clock = Stopwatch.StartNew();
            var scratch = new byte[4096];
            while (clock.Elapsed < timeout)
            {
                int wait = (int)Math.Max(1, (timeout - clock.Elapsed).TotalMilliseconds);
                if (!_socket.Poll(wait * 1000, SelectMode.SelectRead))
                {
                    continue;
                }

                try
                {
                    int read = _socket.Receive(scratch);
                    if (read == 0)
                    {
                        return true;
                    }

                    Assert.Fail("unexpected bytes instead of a close: " + Encoding.Latin1.GetString(scratch, 0, read));
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>Whether the server has closed the connection already (without waiting).</summary>
        public bool IsClosedNow() => WaitClosed(TimeSpan.FromMilliseconds(1));

        public void Dispose() => _socket.Dispose();

        private bool Fill()
        {
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            int read;
            try
            {
                read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                return false;
            }

            _end += read;
            return read > 0;
        }
    }

    /// <summary>Small helpers for requests written by hand.</summary>
    internal static class Requests
    {
        public static string Get(string target, string extra = "") => "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";

        public static string Head(string target, string extra = "") => "HEAD " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";

        public static string Delete(string target, string extra = "") => "DELETE " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";

        public static byte[] Put(string target, ReadOnlySpan<byte> body, string method = "PUT", string extra = "")
        {
            byte[] head = Encoding.Latin1.GetBytes(method + " " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "Content-Length: "
                + body.Length.ToString(CultureInfo.InvariantCulture) + "\r\n\r\n");
            byte[] all = new byte[head.Length + body.Length];
            head.CopyTo(all, 0);
            body.CopyTo(all.AsSpan(head.Length));
            return all;
        }

        public static byte[] Put(string target, string body, string method = "PUT", string extra = "") => Put(target, Encoding.UTF8.GetBytes(body), method, extra);

        public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
    }
}
