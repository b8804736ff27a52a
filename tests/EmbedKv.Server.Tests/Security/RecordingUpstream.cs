using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// An HTTP/1.1 upstream on a loopback port that records every request head exactly as it arrives and answers
    /// 200 "ok" on a kept-alive connection: it shows what nginx passes on, which EmbedKv (which echoes no header)
    /// cannot. Bodies must come with Content-Length.
    /// </summary>
    internal sealed class RecordingUpstream : IDisposable
    {
        private static readonly byte[] Answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");

        private readonly Socket _listener;
        private readonly ConcurrentQueue<string> _heads = new ConcurrentQueue<string>();
        private readonly ConcurrentBag<Socket> _connections = new ConcurrentBag<Socket>();
        private readonly Task _accepting;
        private int _accepted;

        public RecordingUpstream()
        {
            _listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(16);
            _accepting = Task.Run(AcceptAll);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public int ConnectionsAccepted => Volatile.Read(ref _accepted);

        public IReadOnlyList<string> Heads => _heads.ToArray();

        public void Dispose()
        {
            _listener.Dispose();
            foreach (Socket connection in _connections)
            {
                connection.Dispose();
            }

            try
            {
                _accepting.Wait(TimeSpan.FromSeconds(5));
            }
            catch (AggregateException)
            {
                // The accept loop ends by its socket being closed.
            }
        }

        private async Task AcceptAll()
        {
            while (true)
            {
                Socket connection;
                try
                {
                    connection = await _listener.AcceptAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                Interlocked.Increment(ref _accepted);
                _connections.Add(connection);
                _ = Task.Run(() => Serve(connection));
            }
        }

        private async Task Serve(Socket connection)
        {
            var buffer = new byte[64 * 1024];
            int filled = 0;
            try
            {
                while (true)
                {
                    int headEnd;
                    while ((headEnd = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
                    {
                        int read = await connection.ReceiveAsync(buffer.AsMemory(filled));
                        if (read == 0)
                        {
                            return;
                        }

                        filled += read;
                    }

                    string head = Encoding.Latin1.GetString(buffer, 0, headEnd + 4);
                    _heads.Enqueue(head);
                    int consumed = headEnd + 4 + ContentLength(head);
                    while (filled < consumed)
                    {
                        int read = await connection.ReceiveAsync(buffer.AsMemory(filled));
                        if (read == 0)
                        {
                            return;
                        }

                        filled += read;
                    }

                    Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
                    filled -= consumed;
                    await connection.SendAsync(Answer);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // nginx or Dispose closed the connection.
            }
        }

        private static int ContentLength(string head)
        {
            foreach (string line in head.Split("\r\n"))
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    return int.Parse(line.AsSpan("Content-Length:".Length).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }

            return 0;
        }
    }
}
