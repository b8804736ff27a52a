using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.Robustness
{
    internal enum WireEnd
    {
        /// <summary>The server closed (end of stream).</summary>
        Closed,

        /// <summary>The server reset the connection.</summary>
        Reset,

        /// <summary>The connection was still open when the bound ran out.</summary>
        StillOpen,
    }

    /// <summary>All a server sent on one connection, how that connection ended, and how long after the last byte sent.</summary>
    internal sealed record Transcript(byte[] Received, WireEnd End, TimeSpan EndedAfter, string? SendError);

    /// <summary>
    /// Sends request bytes the way a lane prescribes (pieces, pauses, a half-close or not) and collects
    /// whatever comes back until the server ends the connection or the bound runs out.
    /// </summary>
    internal static class WireClient
    {
        /// <summary>The whole stream in one write.</summary>
        public static int[] OneWrite(int length) => new[] { length };

        /// <summary>
        /// Piece ends for one byte at a time. Long bodies go in 4 KiB pieces past their first KiB (a
        /// 20 KiB value byte by byte costs seconds and exercises nothing the first bytes did not).
        /// </summary>
        public static int[] ByteAtATime(int length)
        {
            var ends = new List<int>();
            for (int at = 1; at <= length;)
            {
                ends.Add(at);
                at += at > 1024 && at < length - 256 ? Math.Min(4096, length - 256 - at) : 1;
            }

            return ends.ToArray();
        }

        /// <summary>One to eight cuts at random offsets.</summary>
        public static int[] RandomSplits(int length, Random random)
        {
            var ends = new SortedSet<int> { length };
            int cuts = random.Next(1, 9);
            for (int i = 0; i < cuts && length > 1; i++)
            {
                ends.Add(random.Next(1, length));
            }

            return new List<int>(ends).ToArray();
        }

        /// <summary>
        /// Sends <paramref name="bytes"/> in the pieces <paramref name="ends"/> marks, pausing
        /// <paramref name="pauseMilliseconds"/> after each, then half-closes (the server learns the client
        /// is done) and reads until the server closes. A send that fails (the server closed first) ends
        /// sending, not the exchange: what the server said before still counts.
        /// </summary>
        public static Transcript Exchange(int port, byte[] bytes, int[] ends, Func<int, int>? pauseMilliseconds, TimeSpan bound)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            socket.SendTimeout = (int)bound.TotalMilliseconds;
            string? sendError = null;
            int start = 0;
            for (int i = 0; i < ends.Length && sendError is null; i++)
            {
                try
                {
                    SendAll(socket, bytes.AsSpan(start, ends[i] - start));
                }
                catch (SocketException e)
                {
                    sendError = e.SocketErrorCode.ToString() + " after " + start + " bytes";
                }

                start = ends[i];
                int pause = pauseMilliseconds?.Invoke(i) ?? 0;
                if (pause > 0 && i < ends.Length - 1)
                {
                    Thread.Sleep(pause);
                }
            }

            try
            {
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException)
            {
                // Already reset by the server: the receive below reports it.
            }

            return ReadToEnd(socket, bound, sendError);
        }

        /// <summary>
        /// One write and no half-close: only the server's own rules (its timeouts, Connection: close, a
        /// refusal) can end the connection, and it must within <paramref name="bound"/>.
        /// </summary>
        public static async Task<Transcript> ExchangeHeldOpenAsync(int port, byte[] bytes, TimeSpan bound)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };

            // Connect and send with no await between: the server's HeaderTimeout (1 s here) runs from the
            // accept, and a continuation delayed on a busy thread pool once let it expire before the bytes
            // were sent, so the lane's answers differed for reasons of the test's own (seeds 21-45 on a
            // loaded machine). On loopback both calls return at once; the bytes fit the socket buffer.
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            string? sendError = null;
            try
            {
                socket.Send(bytes, SocketFlags.None);
            }
            catch (SocketException e)
            {
                sendError = e.SocketErrorCode.ToString();
            }

            var clock = Stopwatch.StartNew();
            var received = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            using var timeout = new CancellationTokenSource(bound);
            while (true)
            {
                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    return new Transcript(received.ToArray(), WireEnd.StillOpen, clock.Elapsed, sendError);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    return new Transcript(received.ToArray(), WireEnd.Reset, clock.Elapsed, sendError);
                }

                if (read == 0)
                {
                    return new Transcript(received.ToArray(), WireEnd.Closed, clock.Elapsed, sendError);
                }

                received.Write(buffer, 0, read);
            }
        }

        private static Transcript ReadToEnd(Socket socket, TimeSpan bound, string? sendError)
        {
            var clock = Stopwatch.StartNew();
            var received = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            while (true)
            {
                TimeSpan left = bound - clock.Elapsed;
                if (left <= TimeSpan.Zero || !socket.Poll((int)Math.Max(1, left.TotalMilliseconds) * 1000, SelectMode.SelectRead))
                {
                    return new Transcript(received.ToArray(), WireEnd.StillOpen, clock.Elapsed, sendError);
                }

                int read;
                try
                {
                    read = socket.Receive(buffer);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
                {
                    return new Transcript(received.ToArray(), WireEnd.Reset, clock.Elapsed, sendError);
                }

                if (read == 0)
                {
                    return new Transcript(received.ToArray(), WireEnd.Closed, clock.Elapsed, sendError);
                }

                received.Write(buffer, 0, read);
            }
        }

        private static void SendAll(Socket socket, ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                bytes = bytes.Slice(socket.Send(bytes));
            }
        }
    }
}
