using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Xunit.Abstractions;
using static EmbedKv.Server.Tests.Server.RoutesTests;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// Deadlines with short limits (1 s): slowloris heads, idle keep-alive connections, stalled bodies, and
    /// slow readers. The loops check deadlines once a second, so a deadline of 1 s closes within about 2 s;
    /// the upper bounds leave room for a loaded machine.
    /// </summary>
    public sealed class TimeoutTests
    {
        private static readonly TimeSpan Late = TimeSpan.FromSeconds(4.5);

        private readonly ITestOutputHelper _output;

        public TimeoutTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task SlowlorisHeadsDoNotDelayOthersAndAreClosedAfterHeaderTimeout()
        {
            using TestServer server = TestServer.Start(o =>
            {
                o.Limits.HeaderTimeout = TimeSpan.FromSeconds(1);
                o.Limits.IdleTimeout = TimeSpan.FromSeconds(30);
            });
            using (RawConnection setup = server.Connect())
            {
                Exchange(setup, Requests.Put("/normal", "fine"), 201);
            }

            // 20 connections sending a head one byte every 200 ms (it would take seconds to finish), and one silent one.
            byte[] head = Encoding.ASCII.GetBytes("GET /slow HTTP/1.1\r\nHost: t\r\nX-Dribble: " + new string('d', 100) + "\r\n\r\n");
            var clock = Stopwatch.StartNew();
            // Threads of their own: 21 blocking loops would starve the thread pool and start late.
            Task<TimeSpan>[] slow = Enumerable.Range(0, 20).Select(_ => Task.Factory.StartNew(() => Dribble(server.Port, head), TaskCreationOptions.LongRunning)).ToArray();
            Task<TimeSpan> silent = Task.Factory.StartNew(() => Silent(server.Port), TaskCreationOptions.LongRunning);

            // Meanwhile a normal client is served at once, several times over.
            await Task.Delay(300);
            var latencies = new List<double>();
            using (RawConnection normal = server.Connect())
            {
                for (int i = 0; i < 5; i++)
                {
                    var one = Stopwatch.StartNew();
                    Assert.Equal("fine", Exchange(normal, Requests.Get("/normal"), 200).BodyText);
                    latencies.Add(one.Elapsed.TotalMilliseconds);
                    await Task.Delay(100);
                }
            }

            TimeSpan[] closedAfter = await Task.WhenAll(slow);
            TimeSpan silentClosedAfter = await silent;
            _output.WriteLine("normal GET latencies under slowloris (ms): " + string.Join(", ", latencies.Select(l => l.ToString("F1", System.Globalization.CultureInfo.InvariantCulture))));
            _output.WriteLine("slowloris connections closed after (s): " + string.Join(", ", closedAfter.Select(t => t.TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture))) + "; silent one after " + silentClosedAfter.TotalSeconds.ToString("F2", System.Globalization.CultureInfo.InvariantCulture) + " s; total " + clock.Elapsed);
            Assert.True(latencies.Max() < 1000, "a normal GET took " + latencies.Max() + " ms while slowloris connections were open");
            foreach (TimeSpan after in closedAfter.Append(silentClosedAfter))
            {
                Assert.InRange(after, TimeSpan.FromSeconds(0.75), Late);
            }

            var wait = Stopwatch.StartNew();
            while (server.Server.OpenConnections > 0 && wait.Elapsed < TimeSpan.FromSeconds(2))
            {
                await Task.Delay(10);
            }

            Assert.Equal(0, server.Server.OpenConnections);
        }

        [Fact]
        public void IdleKeepAliveConnectionIsClosedAfterIdleTimeoutButNotWhileInUse()
        {
            using TestServer server = TestServer.Start(o =>
            {
                o.Limits.IdleTimeout = TimeSpan.FromSeconds(1);
                o.Limits.HeaderTimeout = TimeSpan.FromSeconds(10);
            });

            using RawConnection busy = server.Connect();
            using RawConnection idle = server.Connect();
            Exchange(idle, Requests.Put("/idle", "v"), 201);
            var sinceResponse = Stopwatch.StartNew();

            // A connection used every 200 ms for 3 s stays open: the idle clock restarts after each response.
            while (sinceResponse.Elapsed < TimeSpan.FromSeconds(3))
            {
                Exchange(busy, Requests.Get("/idle"), 200);
                Thread.Sleep(200);
            }

            Assert.True(idle.IsClosedNow(), "an idle keep-alive connection was still open " + sinceResponse.Elapsed + " after its response (IdleTimeout 1 s)");
            Assert.False(busy.IsClosedNow(), "a connection in use was closed as idle");

            // Measured on its own: closed between 1 s and about 2 s after the last response.
            using RawConnection measured = server.Connect();
            Exchange(measured, Requests.Get("/idle"), 200);
            var clock = Stopwatch.StartNew();
            Assert.True(measured.WaitClosed(Late), "not closed within " + Late);
            _output.WriteLine("idle connection closed " + clock.Elapsed.TotalSeconds + " s after its response");
            Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.75), "closed after " + clock.Elapsed + ", before IdleTimeout");
        }

        [Theory]
        [InlineData("small", 1000, 500)]
        [InlineData("streamed", 4 << 20, 600_000)]
        [InlineData("chunked", -1, 600_000)]
        public void StalledBodyIsAbandonedAfterBodyTimeoutAndNotStored(string kind, int declared, int sent)
        {
            using TestServer server = TestServer.Start(o =>
            {
                o.Limits.BodyTimeout = TimeSpan.FromSeconds(1);
                o.Limits.HeaderTimeout = TimeSpan.FromSeconds(10);
                o.Limits.IdleTimeout = TimeSpan.FromSeconds(10);
            });
            string key = "stalled-" + kind;
            byte[] part = new byte[sent];
            new Random(9).NextBytes(part);
            using (RawConnection c = server.Connect())
            {
                if (declared >= 0)
                {
                    c.Send("PUT /" + key + " HTTP/1.1\r\nHost: t\r\nContent-Length: " + declared + "\r\n\r\n");
                    c.Send(part);
                }
                else
                {
                    c.Send("PUT /" + key + " HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
                    c.Send(((2 * sent).ToString("x", System.Globalization.CultureInfo.InvariantCulture)) + "\r\n");
                    c.Send(part);
                }

                var clock = Stopwatch.StartNew();
                Assert.True(c.WaitClosed(Late), kind + ": a stalled body kept its connection open past " + Late);
                _output.WriteLine(kind + ": closed " + clock.Elapsed.TotalSeconds + " s after the body stalled");
                Assert.True(clock.Elapsed >= TimeSpan.FromSeconds(0.75), "closed after " + clock.Elapsed + ", before BodyTimeout");
            }

            Assert.False(server.Server.Store.Contains(Requests.Utf8(key)), kind + ": a half-received body was stored");
            using (RawConnection c = server.Connect())
            {
                Exchange(c, Requests.Get("/" + key), 404);
            }

            Assert.Empty(Directory.GetFiles(server.DataDirectory, "*.partial"));
            Assert.Equal(0, server.Server.Store.Count);
        }

        [Fact]
        public void LingeringAfterARefusalEndsAfterBodyTimeoutEvenIfTheClientNeverStops()
        {
            // After a 413 the server drains what the client still sends (so the client can read the answer),
            // but not forever: a client that keeps sending is cut off once BodyTimeout (here 1 s) has passed.
            using TestServer server = TestServer.Start(o =>
            {
                o.MaxValueLength = 1000;
                o.Limits.BodyTimeout = TimeSpan.FromSeconds(1);
            });
            using RawConnection c = server.Connect();
            c.Send("PUT /flood HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000000\r\n\r\n");
            Assert.Equal(413, c.ReadResponse().Status);
            var clock = Stopwatch.StartNew();
            byte[] garbage = new byte[16 * 1024];
            bool cut = false;
            while (clock.Elapsed < TimeSpan.FromSeconds(10) && !cut)
            {
                try
                {
                    c.Send(garbage);
                    Thread.Sleep(5);
                }
                catch (SocketException)
                {
                    cut = true; // reset, then broken pipe: the server closed its end for good
                }
            }

            _output.WriteLine("a flooding client was cut off " + clock.Elapsed.TotalSeconds + " s after the 413");
            Assert.True(cut, "the server drained a flooding client for " + clock.Elapsed);
            Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.75), Late);
        }

        [Fact]
        public void ABodyThatKeepsComingIsNotCutByBodyTimeout()
        {
            using TestServer server = TestServer.Start(o => o.Limits.BodyTimeout = TimeSpan.FromSeconds(1));
            using RawConnection c = server.Connect();
            byte[] body = new byte[50_000];
            new Random(2).NextBytes(body);
            c.Send("PUT /trickle HTTP/1.1\r\nHost: t\r\nContent-Length: " + body.Length + "\r\n\r\n");
            for (int i = 0; i < 10; i++)
            {
                // 10 pieces 350 ms apart: 3.5 s in all, but never a 1 s stall.
                c.Send(body.AsSpan(i * 5000, 5000));
                if (i < 9)
                {
                    Thread.Sleep(350);
                }
            }

            Assert.Equal(201, c.ReadResponse().Status);
            Assert.Equal(body, server.Server.Store.Get(Requests.Utf8("trickle")));
        }

        [Fact]
        public void ASlowReaderGetsTheWholeValueDespiteAShortIdleTimeout()
        {
            // A response still going out is not idle: a client that pauses reading for longer than
            // IdleTimeout (but less than BodyTimeout) still gets every byte.
            using TestServer server = TestServer.Start(o =>
            {
                o.Limits.IdleTimeout = TimeSpan.FromSeconds(1);
                o.Limits.BodyTimeout = TimeSpan.FromSeconds(10);
            });
            byte[] value = new byte[32 << 20];
            new Random(4).NextBytes(value);
            using HttpClientHandle put = new HttpClientHandle(server);
            put.Put("slow-read", value);

            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 64 * 1024, ReceiveTimeout = 10_000 };
            socket.Connect(System.Net.IPAddress.Loopback, server.Port);
            socket.Send(Encoding.ASCII.GetBytes(Requests.Get("/slow-read")));
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            long headEnd = -1;
            var head = new List<byte>();
            bool paused = false;
            while (true)
            {
                int read;
                try
                {
                    read = socket.Receive(buffer);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
                {
                    read = 0;
                }

                if (read == 0)
                {
                    break;
                }

                int bodyStart = 0;
                if (headEnd < 0)
                {
                    head.AddRange(buffer.AsSpan(0, read).ToArray());
                    int end = head.ToArray().AsSpan().IndexOf("\r\n\r\n"u8);
                    if (end < 0)
                    {
                        continue;
                    }

                    headEnd = end + 4;
                    Assert.StartsWith("HTTP/1.1 200 OK", Encoding.ASCII.GetString(head.ToArray()));
                    bodyStart = read - (head.Count - (int)headEnd);
                }

                hash.AppendData(buffer, bodyStart, read - bodyStart);
                total += read - bodyStart;
                if (!paused && total > (1 << 20))
                {
                    paused = true;
                    Thread.Sleep(2500); // the server's send buffer fills up and it waits on us
                }

                if (total == value.Length)
                {
                    break;
                }
            }

            Assert.True(total == value.Length, "the download was cut after " + total + " of " + value.Length + " bytes");
            Assert.Equal(SHA256.HashData(value), hash.GetHashAndReset());
        }

        /// <summary>Sends <paramref name="head"/> a byte every 200 ms until the server closes; returns when that was, from the first byte.</summary>
        private static TimeSpan Dribble(int port, byte[] head)
        {
            using var c = new RawConnection(port);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < head.Length; i++)
            {
                try
                {
                    c.Send(head.AsSpan(i, 1));
                }
                catch (SocketException)
                {
                    return clock.Elapsed; // reset by the server's close
                }

                if (c.WaitClosed(TimeSpan.FromMilliseconds(200)))
                {
                    return clock.Elapsed;
                }

                if (clock.Elapsed > TimeSpan.FromSeconds(10))
                {
                    break;
                }
            }

            return TimeSpan.MaxValue;
        }

        private static TimeSpan Silent(int port)
        {
            using var c = new RawConnection(port);
            var clock = Stopwatch.StartNew();
            return c.WaitClosed(TimeSpan.FromSeconds(10)) ? clock.Elapsed : TimeSpan.MaxValue;
        }

        /// <summary>Stores a value with HttpClient (synchronously, for tests that are otherwise socket-level).</summary>
        private sealed class HttpClientHandle : IDisposable
        {
            private readonly System.Net.Http.HttpClient _client;

            public HttpClientHandle(TestServer server) => _client = server.Client();

            public void Put(string key, byte[] value)
            {
                using var content = new System.Net.Http.ByteArrayContent(value);
                using System.Net.Http.HttpResponseMessage response = _client.PutAsync(key, content).GetAwaiter().GetResult();
                Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
            }

            public void Dispose() => _client.Dispose();
        }
    }
}
