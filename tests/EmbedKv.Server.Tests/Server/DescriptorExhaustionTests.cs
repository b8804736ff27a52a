using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using System.Threading;
using EmbedKv.Server.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// The standalone host as a child process that runs out of descriptors while idle clients hold
    /// connections. The defect these tests catch: accept failed with EMFILE, the listener stayed
    /// readable, and level-triggered epoll woke the loop again at once, forever: a core at 100% (9.9
    /// CPU-seconds in 5 s), no new client served, and often a dead process, since the .NET runtime
    /// needs descriptors of its own. Now the server budgets its connections against the limit at start
    /// and, should the descriptors run out anyway, answers waiting clients 503 with the help of a
    /// reserve descriptor and stops accepting for a short back-off (docs/server.md, "Descriptor limits").
    /// </summary>
    public sealed class DescriptorExhaustionTests : IDisposable
    {
        /// <summary>How long the host is watched once it is out of descriptors.</summary>
        private static readonly TimeSpan Watch = TimeSpan.FromSeconds(3);

        /// <summary>CPU time the host may use meanwhile: an idle server uses a few hundredths; the spinning one used a whole core.</summary>
        private const double IdleCpuSeconds = 0.5;

        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public DescriptorExhaustionTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        /// <summary>
        /// Started under a low limit: the host lowers its connection cap to what the descriptors allow (and
        /// says so), so clients past it get 503 while accept still has descriptors to spare.
        /// </summary>
        [Fact]
        public void UnderALowLimitIdleConnectionsNeitherSpinTheServerNorStopIt()
        {
            // The default cap, lowered, is logged as information.
            using LimitedHost host = LimitedHost.Start(_dir.Path, 300, Arguments("--Logging:LogLevel:Default", "Information"));
            int port = host.WaitForPort();

            int served = Exhaust(host, port);

            string clamp = host.Stderr.FirstOrDefault(line => line.Contains("EmbedKv[111]", StringComparison.Ordinal))
                ?? throw new Xunit.Sdk.XunitException("no word that the connection cap was lowered: " + host.Describe());
            Assert.StartsWith("info: ", clamp, StringComparison.Ordinal);
            Match numbers = Regex.Match(clamp, @"from 10000 to (\d+)");
            Assert.True(numbers.Success, "the log line does not name both caps: " + clamp);
            Assert.Equal(int.Parse(numbers.Groups[1].Value, CultureInfo.InvariantCulture), served);
            Stop(host);
        }

        /// <summary>
        /// The limit drops after the start (as when the store's files or the embedding application take
        /// the descriptors the cap counted on): accept itself fails with EMFILE, and the loop must back off.
        /// </summary>
        [Fact]
        public void WhenDescriptorsRunOutAfterTheStartAcceptBacksOffInsteadOfSpinning()
        {
            using LimitedHost host = LimitedHost.Start(_dir.Path, 4096, Arguments("--Logging:LogLevel:Default", "Information"));
            int port = host.WaitForPort();

            // Serve a few requests first: code the runtime loads on first use needs descriptors too.
            using (var warm = new RawConnection(port))
            {
                Assert.True(Served(warm, "/warm"));
                Assert.True(Stored(warm, "/warm"));
            }

            host.LowerLimit(host.OpenDescriptors() + 40);
            Exhaust(host, port);

            // The loop that ran out says so when it next accepts, which may be a back-off after the newcomer got in.
            Assert.True(host.WaitForStderr("EmbedKv[113]", TimeSpan.FromSeconds(10)), "no word that accepting resumed: " + host.Describe());
            string[] paused = host.Stderr.Where(line => line.Contains("EmbedKv[112]", StringComparison.Ordinal)).ToArray();
            Assert.True(paused.Length == 1, "expected one warning that accepting paused, not " + paused.Length + ": " + host.Describe());
            Assert.Contains("EMFILE", paused[0], StringComparison.Ordinal);
            Stop(host);
        }

        private static string[] Arguments(params string[] more) =>
            new[] { "--port", "0", "--data", "data", "--workers", "2" }.Concat(more).ToArray();

        /// <summary>
        /// Opens idle keep-alive connections until one is not served, then checks that the host idles,
        /// serves the connections it holds, serves a new client once some leave, and lives. Returns how
        /// many connections it served at most.
        /// </summary>
        private int Exhaust(LimitedHost host, int port)
        {
            var idle = new List<RawConnection>();
            RawConnection? refused = null;
            try
            {
                int status = 0;
                while (refused is null)
                {
                    Assert.True(idle.Count < 5000, "5000 connections and still no refusal: " + host.Describe());
                    var connection = new RawConnection(port, timeoutMilliseconds: 2000);
                    status = Status(connection, "/k");
                    if (status == 404)
                    {
                        idle.Add(connection);
                    }
                    else
                    {
                        refused = connection;
                    }
                }

                int served = idle.Count;
                _output.WriteLine(served + " connections served before one was not (" + (status < 0 ? "no answer" : status.ToString(CultureInfo.InvariantCulture))
                    + "); host holds " + host.OpenDescriptors() + " descriptors");
                Assert.True(served > 0, "not even one connection was served: " + host.Describe());

                double before = host.CpuSeconds();
                Thread.Sleep(Watch);
                double used = host.CpuSeconds() - before;
                _output.WriteLine("CPU while out of descriptors: " + used.ToString("0.00", CultureInfo.InvariantCulture) + " s in " + Watch.TotalSeconds + " s");
                Assert.True(used < IdleCpuSeconds, "the host used " + used.ToString("0.00", CultureInfo.InvariantCulture)
                    + " CPU-seconds in " + Watch.TotalSeconds + " s with nothing to do (spinning on accept?): " + host.Describe());

                // The client it could not take was told so, rather than left waiting in the queue.
                Assert.True(status == 503, "the client past the limit got " + (status < 0 ? "no answer" : status.ToString(CultureInfo.InvariantCulture)) + ", not a 503");

                // The connections it holds go on working, reads and writes alike.
                Assert.True(Stored(idle[0], "/written"), "a held connection could not store a value");
                foreach (RawConnection connection in idle)
                {
                    Assert.True(Served(connection, "/k"), "a held connection was not served: " + host.Describe());
                }

                // Some clients leave; a new one gets in once the host has noticed (a 503 before that is fine).
                int leaving = Math.Max(1, idle.Count / 2);
                foreach (RawConnection connection in idle.Take(leaving))
                {
                    connection.Dispose();
                }

                idle.RemoveRange(0, leaving);
                var clock = Stopwatch.StartNew();
                bool admitted = false;
                while (!admitted && clock.Elapsed < TimeSpan.FromSeconds(20))
                {
                    using var newcomer = new RawConnection(port, timeoutMilliseconds: 2000);
                    admitted = Served(newcomer, "/written", expected: 200);
                    if (!admitted)
                    {
                        Thread.Sleep(100);
                    }
                }

                _output.WriteLine("a new client was served " + clock.ElapsedMilliseconds + " ms after " + leaving + " left");
                Assert.True(admitted, "no new client was served after " + leaving + " left: " + host.Describe());
                Assert.False(host.HasExited, "the host died: " + host.Describe());
                return served;
            }
            finally
            {
                refused?.Dispose();
                idle.ForEach(c => c.Dispose());
            }
        }

        /// <summary>Whether a GET on <paramref name="connection"/> is answered (404 for a missing key, or <paramref name="expected"/>).</summary>
        private static bool Served(RawConnection connection, string key, int expected = 404) => Status(connection, key) == expected;

        /// <summary>The status a GET on <paramref name="connection"/> gets, or -1 for none (closed, reset, or no answer in time).</summary>
        private static int Status(RawConnection connection, string key)
        {
            try
            {
                connection.Send(Requests.Get(key));
                return connection.ReadResponse().Status;
            }
            catch (Exception e) when (e is IOException or SocketException)
            {
                return -1;
            }
        }

        private static bool Stored(RawConnection connection, string key)
        {
            connection.Send(Requests.Put(key, "value"));
            int status = connection.ReadResponse().Status;
            return status is 201 or 204;
        }

        private void Stop(LimitedHost host)
        {
            host.Signal("TERM");
            Assert.True(host.WaitForExit() == 0, "the host did not stop cleanly: " + host.Describe());
            foreach (string line in host.Stderr)
            {
                _output.WriteLine("host: " + line);
            }
        }
    }
}
