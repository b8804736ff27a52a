using System;
using System.Diagnostics;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// Durable writes made through an event loop (docs/storage.md, "Group commit"): the loop hands them to the
    /// commit thread before it sleeps, or, with <see cref="KvServerOptions.CommitOnEventLoop"/>, syncs them itself
    /// when it has nothing else to do. Either way a loop that is never idle must still get its writes synced and
    /// answered, and many loops writing at once must lose nothing.
    /// </summary>
    public sealed class DurableWriteLoopTests
    {
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task ADurableWriteIsNotHeldBackByALoopThatIsNeverIdle(bool commitOnLoop)
        {
            using var server = TestServer.Start(o =>
            {
                o.Workers = 1;
                o.Durability = Durability.Always;
                o.CommitOnEventLoop = commitOnLoop;
            });
            using (HttpClient setup = server.Client())
            {
                Assert.Equal(HttpStatusCode.Created, (await setup.PutAsync("read-me", new StringContent("x"))).StatusCode);
            }

            // Connections that keep the loop's only thread busy with pipelined GETs for as long as the test lasts.
            using var stop = new CancellationTokenSource();
            var answered = new long[3];
            Task[] floods = new Task[answered.Length];
            for (int i = 0; i < floods.Length; i++)
            {
                int flood = i;
                floods[i] = Task.Factory.StartNew(() => Flood(server.Port, answered, flood, stop.Token), TaskCreationOptions.LongRunning);
            }

            try
            {
                await Task.Delay(300);
                long answeredBefore = Sum(answered);
                long syncsBefore = server.Server.Store.SyncBatches;
                using var writer = server.Connect();
                var clock = Stopwatch.StartNew();
                writer.Send(Requests.Put("/written-while-busy", "durable"));
                RawResponse answer = writer.ReadResponse();
                clock.Stop();
                long answeredDuring = Sum(answered) - answeredBefore;
                await Task.Delay(100);
                Assert.Equal(201, answer.Status);

                // Synced and answered while the GETs still poured in (and go on), not once they stopped.
                Assert.True(answeredDuring > 0, "no GET was answered while the write waited: the loop was not busy");
                Assert.True(Sum(answered) > answeredBefore + answeredDuring, "the GETs stopped");
                Assert.DoesNotContain(floods, f => f.IsCompleted);
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), "the write took " + clock.Elapsed.TotalMilliseconds + " ms");
                Assert.True(server.Server.Store.SyncBatches > syncsBefore);
            }
            finally
            {
                stop.Cancel();
                await Task.WhenAll(floods).WaitAsync(TimeSpan.FromSeconds(15));
            }
        }

        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public async Task ManyLoopsWritingDurablyTogetherLoseNothing(bool commitOnLoop)
        {
            const int Clients = 32;
            const int PutsEach = 40;
            using var server = TestServer.Start(o =>
            {
                o.Workers = 4;
                o.Durability = Durability.Always;
                o.CommitOnEventLoop = commitOnLoop;
            });
            var clients = new Task[Clients];
            for (int c = 0; c < Clients; c++)
            {
                int client = c;
                clients[c] = Task.Run(async () =>
                {
                    using HttpClient http = server.Client();
                    for (int i = 0; i < PutsEach; i++)
                    {
                        HttpResponseMessage response = await http.PutAsync("c" + client + "/" + i, new StringContent("v" + client + "/" + i));
                        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
                    }
                });
            }

            await Task.WhenAll(clients);

            // Each answer came after its sync: every write is counted as synced before the close drains anything.
            Assert.Equal(Clients * PutsEach, server.Server.Store.SyncedWrites);

            // The option decides where the rounds ran: on the loops only when asked (and then some there, since
            // the loops go idle between a client's PUTs), never otherwise.
            if (commitOnLoop)
            {
                Assert.True(server.Server.Store.CommitRoundsOnLoops > 0, "no round ran on a loop");
            }
            else
            {
                Assert.Equal(0, server.Server.Store.CommitRoundsOnLoops);
            }

            string data = server.DataDirectory;
            server.Server.Dispose();
            using KvStore reopened = KvStore.Open(new StoreOptions { DataDirectory = data });
            for (int c = 0; c < Clients; c++)
            {
                for (int i = 0; i < PutsEach; i++)
                {
                    Assert.Equal("v" + c + "/" + i, Encoding.UTF8.GetString(reopened.Get(Encoding.UTF8.GetBytes("c" + c + "/" + i))!));
                }
            }
        }

        /// <summary>
        /// A sync that takes long (here held by the test; on a busy disk, hundreds of milliseconds) must not hold
        /// up reads on the loop that took the write, unless the loop was told to sync itself, which is the cost
        /// <see cref="KvServerOptions.CommitOnEventLoop"/> documents. Before the option, every loop synced its
        /// own writes when idle, and a GET on it waited for the disk.
        /// </summary>
        [Theory]
        [InlineData(false)]
        [InlineData(true)]
        public void AReadOnTheWritersLoopWaitsForASlowSyncOnlyWhenTheLoopSyncs(bool commitOnLoop)
        {
            using var dir = new TempDirectory();
            using var directory = new GatedDirectory(dir.Path);
            using KvServer server = KvServer.Start(
                TestServer.Options(dir.Path, o =>
                {
                    o.Workers = 1;
                    o.Durability = Durability.Always;
                    o.CommitOnEventLoop = commitOnLoop;
                }),
                o => KvStore.Open(o, directory));
            using var writer = new RawConnection(server.Port);
            using var reader = new RawConnection(server.Port);
            writer.Send(Requests.Put("/read-me", "kept"));
            Assert.Equal(201, writer.ReadResponse().Status);
            reader.Send(Requests.Get("/read-me"));
            Assert.Equal(200, reader.ReadResponse().Status);

            directory.HoldNextSync("seg-00000001.log");
            writer.Send(Requests.Put("/held", "synced late"));
            directory.WaitUntilHeld();
            try
            {
                reader.Send(Requests.Get("/read-me"));
                bool answeredDuringSync = reader.Socket.Poll(commitOnLoop ? 1_000_000 : 10_000_000, SelectMode.SelectRead);
                Assert.Equal(!commitOnLoop, answeredDuringSync);
                Assert.False(writer.Socket.Poll(0, SelectMode.SelectRead), "the write was answered before its sync");
            }
            finally
            {
                directory.Release();
            }

            RawResponse read = reader.ReadResponse();
            Assert.Equal(200, read.Status);
            Assert.Equal("kept", read.BodyText);
            Assert.Equal(201, writer.ReadResponse().Status);
        }

        private static long Sum(long[] counts)
        {
            long sum = 0;
            for (int i = 0; i < counts.Length; i++)
            {
                sum += Volatile.Read(ref counts[i]);
            }

            return sum;
        }

        /// <summary>Sends pipelined GETs in batches and reads their answers on the side (counting bytes), until stopped.</summary>
        private static void Flood(int port, long[] answered, int index, CancellationToken stop)
        {
            // Timeouts, so that a server that stops reading fails the test instead of hanging it.
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, SendTimeout = 10_000, ReceiveTimeout = 10_000 };
            socket.Connect(IPAddress.Loopback, port);
            byte[] batch = Encoding.ASCII.GetBytes(string.Concat(System.Linq.Enumerable.Repeat(Requests.Get("/read-me"), 200)));
            var reader = new Thread(() =>
            {
                byte[] sink = new byte[64 * 1024];
                try
                {
                    int read;
                    while ((read = socket.Receive(sink)) > 0)
                    {
                        Interlocked.Add(ref answered[index], read);
                    }
                }
                catch (SocketException)
                {
                    // Closed under it at the end.
                }
                catch (ObjectDisposedException)
                {
                }
            })
            { IsBackground = true };
            reader.Start();
            while (!stop.IsCancellationRequested)
            {
                socket.Send(batch);
            }

            socket.Shutdown(SocketShutdown.Both);
            socket.Close();
            reader.Join();
        }
    }
}
