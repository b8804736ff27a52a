using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>Named counters the soak's actors share, printed at the end.</summary>
    internal sealed class SoakCounters
    {
        private readonly ConcurrentDictionary<string, long> _counts = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        private readonly ConcurrentQueue<string> _problems = new ConcurrentQueue<string>();

        public void Add(string name, long by = 1) => _counts.AddOrUpdate(name, by, (_, old) => old + by);

        public long this[string name] => _counts.GetValueOrDefault(name);

        /// <summary>Something that breaks a rule (an undocumented or malformed answer); the first few are kept whole.</summary>
        public void Problem(string what)
        {
            Add("problems");
            if (_problems.Count < 20)
            {
                _problems.Enqueue(what);
            }
        }

        public IReadOnlyCollection<string> Problems => _problems;

        public override string ToString() => string.Join(", ", _counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + " " + p.Value));
    }

    /// <summary>Socket plumbing for the soak: connect, send, read one response or everything until the close.</summary>
    internal static class SoakWire
    {
        public static Socket Connect(int port)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Connect(new IPEndPoint(IPAddress.Loopback, port));
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        public static async Task<Socket> ConnectAsync(int port, CancellationToken token)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), token);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        /// <summary>
        /// Reads until one whole response has arrived (more may follow); null if the connection ended first.
        /// The bytes read past it stay in <paramref name="pending"/> for the next call.
        /// </summary>
        public static async Task<WireResponse?> ReadOneAsync(Socket socket, MemoryStream pending, bool toHead, CancellationToken token)
        {
            byte[] buffer = new byte[16 * 1024];
            while (true)
            {
                if (TryTakeOne(pending, toHead) is { } response)
                {
                    return response;
                }

                int read;
                try
                {
                    read = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
                }
                catch (SocketException)
                {
                    return null;
                }

                if (read == 0)
                {
                    return null;
                }

                pending.Write(buffer, 0, read);
            }
        }

        /// <summary>The synchronous twin of <see cref="ReadOneAsync"/>, for the probe (its own thread, no thread pool in its latency).</summary>
        public static WireResponse? ReadOne(Socket socket, MemoryStream pending, bool toHead)
        {
            byte[] buffer = new byte[16 * 1024];
            while (true)
            {
                if (TryTakeOne(pending, toHead) is { } response)
                {
                    return response;
                }

                int read;
                try
                {
                    read = socket.Receive(buffer);
                }
                catch (SocketException)
                {
                    return null;
                }

                if (read == 0)
                {
                    return null;
                }

                pending.Write(buffer, 0, read);
            }
        }

        /// <summary>Everything until the server closes (or the token fires), read as a strict response stream.</summary>
        public static async Task<(List<WireResponse> Responses, string? Error, bool Ended)> ReadToEndAsync(Socket socket, bool headPossible, CancellationToken token)
        {
            var received = new MemoryStream();
            byte[] buffer = new byte[16 * 1024];
            bool ended = true;
            try
            {
                int read;
                while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, token)) > 0)
                {
                    received.Write(buffer, 0, read);
                }
            }
            catch (SocketException)
            {
                // A reset ends the stream as a close does; what came before it is judged all the same.
            }
            catch (OperationCanceledException)
            {
                ended = false;
            }

            (List<WireResponse> responses, string? error) = ResponseStream.Parse(received.ToArray(), headPossible);
            return (responses, error, ended);
        }

        public static async Task SendAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken token)
        {
            while (!bytes.IsEmpty)
            {
                bytes = bytes.Slice(await socket.SendAsync(bytes, SocketFlags.None, token));
            }
        }

        public static void Send(Socket socket, ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                bytes = bytes.Slice(socket.Send(bytes));
            }
        }

        /// <summary>Waits until the server closes the connection; false if the token fired first.</summary>
        public static async Task<bool> WaitClosedAsync(Socket socket, CancellationToken token)
        {
            byte[] buffer = new byte[4096];
            try
            {
                while (await socket.ReceiveAsync(buffer, SocketFlags.None, token) > 0)
                {
                }
            }
            catch (SocketException)
            {
            }
            catch (OperationCanceledException)
            {
                return false;
            }

            return true;
        }

        private static WireResponse? TryTakeOne(MemoryStream pending, bool toHead)
        {
            byte[] bytes = pending.ToArray();
            int headEnd = bytes.AsSpan().IndexOf("\r\n\r\n"u8);
            if (headEnd < 0)
            {
                return null;
            }

            // The head says how long the body is; parse exactly head + body, strictly, once all of it is here.
            (List<WireResponse> heads, _) = ResponseStream.Parse(bytes.AsSpan(0, headEnd + 4), headPossible: true);
            WireResponse? head = heads.FirstOrDefault();
            long length = head is null || toHead || head.Status is 100 or 204 ? 0 : long.Parse(head.Header("Content-Length") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
            int total = headEnd + 4 + (int)length;
            if (bytes.Length < total)
            {
                return null;
            }

            (List<WireResponse> one, string? error) = ResponseStream.Parse(bytes.AsSpan(0, total), headPossible: toHead);
            pending.SetLength(0);
            pending.Write(bytes, total, bytes.Length - total);
            if (error is not null || one.Count != 1)
            {
                throw new InvalidDataException("a malformed response: " + (error ?? one.Count + " responses") + " in " + WireText.Escape(bytes.AsSpan(0, Math.Min(total, 300))));
            }

            return one[0];
        }
    }
}
