using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;

namespace EmbedKv.Host.Tests.Infrastructure
{
    /// <summary>Loopback ports and clients for the tests (127.0.0.1 only).</summary>
    internal static class Net
    {
        /// <summary>
        /// Ports the kernel says are free now, all different: each is held until all are picked, then
        /// let go. Another process could take one before the host binds it; unlikely, and the host then
        /// fails with EADDRINUSE, which the test shows.
        /// </summary>
        public static int[] FreePorts(int count)
        {
            var sockets = new Socket[count];
            try
            {
                var ports = new int[count];
                for (int i = 0; i < count; i++)
                {
                    sockets[i] = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                    sockets[i].Bind(new IPEndPoint(IPAddress.Loopback, 0));
                    ports[i] = ((IPEndPoint)sockets[i].LocalEndPoint!).Port;
                }

                return ports;
            }
            finally
            {
                foreach (Socket? socket in sockets)
                {
                    socket?.Dispose();
                }
            }
        }

        public static int FreePort() => FreePorts(1)[0];

        /// <summary>A listening socket on 127.0.0.1:<paramref name="port"/> (0: any), or null if the port is taken.</summary>
        public static Socket? Hold(int port)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
                socket.Listen();
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                socket.Dispose();
                return null;
            }
        }

        public static int PortOf(Socket socket) => ((IPEndPoint)socket.LocalEndPoint!).Port;

        /// <summary>An HttpClient with a timeout that fails a hung test instead of hanging it.</summary>
        public static HttpClient Client(Uri baseAddress) => new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };

        public static async Task<HttpStatusCode> PutAsync(HttpClient client, string key, string value)
        {
            using HttpResponseMessage response = await client.PutAsync(key, new StringContent(value, Encoding.UTF8));
            return response.StatusCode;
        }

        public static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, string key)
        {
            using HttpResponseMessage response = await client.GetAsync(key);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        /// <summary>
        /// Sends one GET on a raw connection, reads its answer, and measures how long the server keeps the
        /// idle connection open afterwards (its IdleTimeout); fails if it is still open after <paramref name="limit"/>.
        /// </summary>
        public static TimeSpan IdleCloseAfter(int port, TimeSpan limit)
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
            socket.Send(Encoding.ASCII.GetBytes("GET /i HTTP/1.1\r\nHost: t\r\n\r\n"));
            var buffer = new byte[4096];
            int have = 0;
            socket.ReceiveTimeout = (int)limit.TotalMilliseconds;
            while (Encoding.ASCII.GetString(buffer, 0, have).IndexOf("\r\n\r\n", StringComparison.Ordinal) < 0)
            {
                int read = socket.Receive(buffer, have, buffer.Length - have, SocketFlags.None);
                Xunit.Assert.True(read > 0, "closed before answering: " + Encoding.ASCII.GetString(buffer, 0, have));
                have += read;
            }

            Xunit.Assert.StartsWith("HTTP/1.1 404 ", Encoding.ASCII.GetString(buffer, 0, have));
            var idle = Stopwatch.StartNew();
            try
            {
                int read = socket.Receive(buffer); // the rest of the 404's body, if any, then the end of the stream
                while (read > 0)
                {
                    read = socket.Receive(buffer);
                }
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
            {
                Xunit.Assert.Fail("the idle connection was still open after " + limit.TotalSeconds + " s");
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
            {
                // closed with a reset: closed all the same
            }

            return idle.Elapsed;
        }
    }
}
