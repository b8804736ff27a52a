using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.Robustness
{
    /// <summary>
    /// The hostile clients of the soak. Each runs until its token fires, reconnecting when the server
    /// closes it, and counts what happened; anything that breaks a rule (an undocumented status, a
    /// malformed response) is a problem the test fails on.
    /// </summary>
    internal static class SoakLoad
    {
        /// <summary>Trickles a request head a byte at a time; the server must close it once HeaderTimeout has passed.</summary>
        public static async Task HeaderSlowloris(int port, TimeSpan closeBound, SoakCounters counters, CancellationToken token)
        {
            byte[] head = Encoding.ASCII.GetBytes("GET /soak-known-0 HTTP/1.1\r\nHost: t\r\nX-Slow: " + new string('s', 2000) + "\r\n\r\n");
            while (!token.IsCancellationRequested)
            {
                using Socket socket = await Connect(port, counters, "header slowloris", token);
                var clock = Stopwatch.StartNew();
                try
                {
                    for (int i = 0; i < head.Length && clock.Elapsed < closeBound; i++)
                    {
                        await socket.SendAsync(head.AsMemory(i, 1), SocketFlags.None, token);
                        await Task.Delay(150, token);
                    }

                    counters.Add("header slowloris: not closed within " + closeBound.TotalSeconds + " s");
                    counters.Problem("a header slowloris connection was still open after " + clock.Elapsed);
                }
                catch (SocketException)
                {
                    counters.Add("header slowloris: closed by the server");
                }
            }
        }

        /// <summary>
        /// Sends a head, then trickles the body: one byte now and then keeps the connection alive (each one is
        /// progress), while a body that stops is abandoned after BodyTimeout. The value is never stored.
        /// </summary>
        public static async Task BodySlowloris(int port, bool stall, TimeSpan closeBound, SoakCounters counters, CancellationToken token)
        {
            string name = stall ? "stalled body" : "body slowloris";
            while (!token.IsCancellationRequested)
            {
                using Socket socket = await Connect(port, counters, name, token);
                await socket.SendAsync(Encoding.ASCII.GetBytes("PUT /soak-slow-body HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\nab"), SocketFlags.None, token);
                if (stall)
                {
                    using var bound = CancellationTokenSource.CreateLinkedTokenSource(token);
                    bound.CancelAfter(closeBound);
                    bool closed = await SoakWire.WaitClosedAsync(socket, bound.Token);
                    if (!token.IsCancellationRequested)
                    {
                        counters.Add(closed ? name + ": closed by the server" : name + ": not closed in time");
                        if (!closed)
                        {
                            counters.Problem("a stalled body was not abandoned within " + closeBound.TotalSeconds + " s");
                        }
                    }

                    continue;
                }

                try
                {
                    while (!token.IsCancellationRequested)
                    {
                        await Task.Delay(500, token);
                        await socket.SendAsync("x"u8.ToArray(), SocketFlags.None, token);
                        counters.Add(name + ": bytes trickled");
                    }
                }
                catch (SocketException)
                {
                    counters.Add(name + ": closed by the server");
                }
            }
        }

        /// <summary>Opens connections, one GET each, then leaves them idle: the descriptors a server must hold.</summary>
        public static async Task IdleHolder(int port, SoakCounters counters, CancellationToken token)
        {
            while (!token.IsCancellationRequested)
            {
                using Socket socket = await Connect(port, counters, "idle", token);
                await SoakWire.SendAsync(socket, Encoding.ASCII.GetBytes("GET /soak-known-1 HTTP/1.1\r\nHost: t\r\n\r\n"), token);
                WireResponse? response = await SoakWire.ReadOneAsync(socket, new MemoryStream(), toHead: false, token);
                Count(counters, "idle", response);
                if (response?.Status == 200)
                {
                    await SoakWire.WaitClosedAsync(socket, token);
                }
                else
                {
                    await Task.Delay(500, token); // at the cap: try again later, not in a tight loop
                }
            }
        }

        /// <summary>Bursts of connections past the cap, each with one GET: answered, or refused with 503, never left hanging.</summary>
        public static async Task Flood(int port, int burst, SoakCounters counters, CancellationToken token)
        {
            byte[] request = Encoding.ASCII.GetBytes("GET /soak-known-2 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
            while (!token.IsCancellationRequested)
            {
                await Task.WhenAll(Enumerable.Range(0, burst).Select(async _ =>
                {
                    using var bound = CancellationTokenSource.CreateLinkedTokenSource(token);
                    bound.CancelAfter(TimeSpan.FromSeconds(10));
                    try
                    {
                        using Socket socket = await SoakWire.ConnectAsync(port, bound.Token);
                        try
                        {
                            await SoakWire.SendAsync(socket, request, bound.Token);
                        }
                        catch (SocketException)
                        {
                            // Refused already (503 and closed): the answer is still there to read.
                        }

                        (List<WireResponse> responses, string? error, bool ended) = await SoakWire.ReadToEndAsync(socket, headPossible: false, bound.Token);
                        if (token.IsCancellationRequested)
                        {
                            return;
                        }

                        if (error is not null || !ended || responses.Count != 1)
                        {
                            counters.Add("flood: errors");
                            counters.Problem("flood: " + (error ?? (ended ? responses.Count + " responses" : "no answer within 10 s")));
                            return;
                        }

                        counters.Add("flood: " + responses[0].Status);
                    }
                    catch (Exception e) when (e is SocketException or OperationCanceledException)
                    {
                        if (!token.IsCancellationRequested)
                        {
                            counters.Add("flood: errors");
                            counters.Problem("flood: " + e.GetType().Name + " " + e.Message);
                        }
                    }
                }));
                await Task.Delay(300, token);
            }
        }

        /// <summary>Random bytes, and valid requests followed by random bytes: every answer documented and well formed, every connection closed.</summary>
        public static async Task Garbage(int port, int seed, SoakCounters counters, CancellationToken token)
        {
            var random = new Random(seed);
            while (!token.IsCancellationRequested)
            {
                var bytes = new List<byte>();
                if (random.Next(2) == 0)
                {
                    bytes.AddRange(Encoding.ASCII.GetBytes("GET /soak-known-0 HTTP/1.1\r\nHost: t\r\n\r\nPUT /soak-garbage HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc"));
                }

                byte[] noise = new byte[random.Next(1, 4000)];
                random.NextBytes(noise);
                bytes.AddRange(noise);
                bytes.AddRange("\r\n\r\n"u8.ToArray());
                using Socket socket = await Connect(port, counters, "garbage", token);
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(token);
                bound.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    await SoakWire.SendAsync(socket, bytes.ToArray(), bound.Token);
                    socket.Shutdown(SocketShutdown.Send);
                }
                catch (SocketException)
                {
                    // Refused before all of it went: what was answered is judged below.
                }

                (List<WireResponse> responses, string? error, bool ended) = await SoakWire.ReadToEndAsync(socket, headPossible: false, bound.Token);
                if (token.IsCancellationRequested)
                {
                    return;
                }

                if (error is not null || !ended)
                {
                    counters.Problem("garbage (seed " + seed + "): " + (error ?? "not closed within 15 s") + " after sending " + WireText.Escape(bytes.Take(300).ToArray()));
                }

                foreach (WireResponse response in responses)
                {
                    counters.Add("garbage: " + response.Status);
                }

                await Task.Delay(10, token); // hostile, not a busy loop: the CPU is shared with the probe

            }
        }

        /// <summary>
        /// Streams <paramref name="size"/> bytes of a value generated on the fly (a 1 MiB random block, over
        /// and over), with Content-Length or chunked, and reads the answer.
        /// </summary>
        public static (int Status, string? Error, TimeSpan Elapsed) Upload(int port, string key, long size, bool chunked)
        {
            byte[] block = new byte[1 << 20];
            new Random(key.Length).NextBytes(block);
            var clock = Stopwatch.StartNew();
            using Socket socket = SoakWire.Connect(port);
            string? error = null;
            long sent = 0;
            try
            {
                string framing = chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + size.ToString(CultureInfo.InvariantCulture);
                SoakWire.Send(socket, Encoding.ASCII.GetBytes("PUT /" + key + " HTTP/1.1\r\nHost: t\r\n" + framing + "\r\n\r\n"));
                while (sent < size)
                {
                    int piece = (int)Math.Min(block.Length, size - sent);
                    if (chunked)
                    {
                        SoakWire.Send(socket, Encoding.ASCII.GetBytes(piece.ToString("x", CultureInfo.InvariantCulture) + "\r\n"));
                    }

                    SoakWire.Send(socket, block.AsSpan(0, piece));
                    if (chunked)
                    {
                        SoakWire.Send(socket, "\r\n"u8);
                    }

                    sent += piece;
                }

                if (chunked)
                {
                    SoakWire.Send(socket, "0\r\n\r\n"u8);
                }
            }
            catch (SocketException e)
            {
                // The server may refuse early (413, 507) and close: its answer is read below.
                error = "send failed after " + sent.ToString("N0", CultureInfo.InvariantCulture) + " bytes, " + clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture) + " s: " + e.SocketErrorCode + " (errno " + e.NativeErrorCode + ")";
            }

            socket.ReceiveTimeout = 120_000;
            WireResponse? response;
            try
            {
                response = SoakWire.ReadOne(socket, new MemoryStream(), toHead: false);
            }
            catch (InvalidDataException e)
            {
                return (0, e.Message, clock.Elapsed);
            }

            return response is null ? (0, error ?? "no answer", clock.Elapsed) : (response.Status, null, clock.Elapsed);
        }

        private static async Task<Socket> Connect(int port, SoakCounters counters, string name, CancellationToken token)
        {
            while (true)
            {
                try
                {
                    return await SoakWire.ConnectAsync(port, token);
                }
                catch (SocketException)
                {
                    counters.Add(name + ": connect failed");
                    await Task.Delay(100, token);
                }
            }
        }

        private static void Count(SoakCounters counters, string name, WireResponse? response)
            => counters.Add(name + ": " + (response is null ? "closed before an answer" : response.Status.ToString(CultureInfo.InvariantCulture)));
    }
}
