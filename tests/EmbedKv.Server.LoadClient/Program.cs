using System;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EmbedKv.Server.LoadClient
{
    /// <summary>
    /// <c>load &lt;port&gt; &lt;requests&gt; &lt;seed&gt; [token]</c>: sends that many keep-alive requests over one connection to
    /// 127.0.0.1, one at a time, mixing GET of existing and missing keys, PUT of new and existing keys,
    /// and DELETE; checks each status; prints <c>done &lt;requests&gt; &lt;unexpected&gt;</c>. Exit code 0 when
    /// every response had an expected status. With a token, every request carries it as a Bearer token.
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            if (args.Length is not (4 or 5) || args[0] != "load")
            {
                Console.Error.WriteLine("usage: load <port> <requests> <seed> [token]");
                return 2;
            }

            int port = int.Parse(args[1], CultureInfo.InvariantCulture);
            int requests = int.Parse(args[2], CultureInfo.InvariantCulture);
            var random = new Random(int.Parse(args[3], CultureInfo.InvariantCulture));
            string fields = "Host: x\r\n" + (args.Length == 5 ? "Authorization: Bearer " + args[4] + "\r\n" : string.Empty);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Connect(IPAddress.Loopback, port);
            var reader = new ResponseReader(socket);
            byte[] value = new byte[64];
            int unexpected = 0;
            int keySpace = 2000;
            for (int i = 0; i < requests; i++)
            {
                int key = random.Next(keySpace);
                int roll = random.Next(100);
                string request;
                int[] expected;
                if (roll < 50)
                {
                    request = "GET /k" + key + " HTTP/1.1\r\n" + fields + "\r\n";
                    expected = new[] { 200, 404 };
                }
                else if (roll < 85)
                {
                    random.NextBytes(value);
                    request = "PUT /k" + (roll < 60 ? keySpace + i : key) + " HTTP/1.1\r\n" + fields + "Content-Length: 64\r\n\r\n";
                    expected = new[] { 201, 204 };
                }
                else
                {
                    request = "DELETE /k" + key + " HTTP/1.1\r\n" + fields + "\r\n";
                    expected = new[] { 204, 404 };
                }

                socket.Send(Encoding.ASCII.GetBytes(request));
                if (request.StartsWith("PUT", StringComparison.Ordinal))
                {
                    socket.Send(value);
                }

                int status = reader.ReadStatus();
                if (Array.IndexOf(expected, status) < 0)
                {
                    unexpected++;
                    Console.Error.WriteLine("request " + i + " (" + request.Split('\r')[0] + "): status " + status);
                }
            }

            Console.WriteLine("done " + requests + " " + unexpected);
            return unexpected == 0 ? 0 : 1;
        }

        /// <summary>Reads one response (head and Content-Length body) and returns its status.</summary>
        private sealed class ResponseReader
        {
            private readonly Socket _socket;
            private readonly byte[] _buffer = new byte[64 * 1024];
            private int _start;
            private int _end;

            public ResponseReader(Socket socket) => _socket = socket;

            public int ReadStatus()
            {
                int headEnd;
                while ((headEnd = IndexOfHeadEnd()) < 0)
                {
                    Fill();
                }

                string head = Encoding.ASCII.GetString(_buffer, _start, headEnd - _start);
                int status = int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture);
                long length = 0;
                foreach (string line in head.Split("\r\n"))
                {
                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                    {
                        length = long.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
                    }
                }

                _start = headEnd + 4;
                while (_end - _start < length)
                {
                    Fill();
                }

                _start += (int)length;
                return status;
            }

            private int IndexOfHeadEnd()
            {
                int at = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8);
                return at < 0 ? -1 : _start + at;
            }

            private void Fill()
            {
                if (_start > 0)
                {
                    Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                    _end -= _start;
                    _start = 0;
                }

                int read = _socket.Receive(_buffer, _end, _buffer.Length - _end, SocketFlags.None);
                if (read == 0)
                {
                    throw new InvalidOperationException("the server closed the connection");
                }

                _end += read;
            }
        }
    }
}
