using System;
using System.Collections.Generic;
using System.Net;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Infrastructure;
using EmbedKv.Server.Tests.Storage;
using EmbedKv.Server.Tests.Storage.FaultInjection;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// A fault while serving one connection costs that connection only, as Garnet's per-session catch and
    /// nginx's per-request pools promise: the loop, its other connections and the process go on. The
    /// faults are injected where real ones came from: the storage I/O under a request (a long key once
    /// threw there and ended the process) and the commit thread.
    /// </summary>
    public sealed class FaultIsolationTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public async Task AFaultServingOneRequestAnswers500ClosesThatConnectionAndOthersGoOn()
        {
            var logger = new RecordingLogger();
            using var directory = new FaultInjectingDirectory(_dir.Path);
            int armed = 0;
            directory.OnCall = (operation, _) =>
            {
                if (operation == "write" && Interlocked.Exchange(ref armed, 0) == 1)
                {
                    throw new InvalidOperationException("injected fault");
                }
            };

            // One loop: the clients that must go on share the faulting connection's thread.
            using KvServer server = KvServer.Start(TestServer.Options(_dir.Path, o => { o.Workers = 1; o.Logger = logger; }), o => KvStore.Open(o, directory));
            using var metrics = new MetricsRecorder(server.Metrics.Meter);
            using (HttpClient setup = TestServer.NewClient(server.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.Created, (await setup.PutAsync("before", new StringContent("kept"))).StatusCode);
                for (int i = 0; i < 4; i++)
                {
                    Assert.Equal(HttpStatusCode.Created, (await setup.PutAsync("client" + i, new StringContent("value" + i))).StatusCode);
                }
            }

            await using (var others = new BusyClients(server.BaseAddress, clients: 4))
            {
                await others.WaitForProgressAsync();
                using var victim = new RawConnection(server.Port);
                Volatile.Write(ref armed, 1);
                victim.Send(Requests.Put("/poison", "x"));
                RawResponse answer = victim.ReadResponse();
                Assert.Equal(500, answer.Status);
                Assert.True(answer.SaysClose, answer.StatusLine);
                Assert.True(victim.WaitClosed(TimeSpan.FromSeconds(5)), "the faulted connection stayed open");
                await others.WaitForProgressAsync();
                others.AssertNoFailures();
            }

            using (HttpClient after = TestServer.NewClient(server.BaseAddress))
            {
                Assert.Equal(HttpStatusCode.NotFound, (await after.GetAsync("poison")).StatusCode);
                Assert.Equal("kept", await after.GetStringAsync("before"));
                Assert.Equal(HttpStatusCode.Created, (await after.PutAsync("poison", new StringContent("now"))).StatusCode);
            }

            metrics.Collect();
            Assert.Equal(1, metrics.Last("embedkv.connection.faults"));
            LoggedEntry logged = Assert.Single(logger.Entries, e => e.EventId.Id == 120);
            Assert.Equal("injected fault", logged.Exception?.Message);
            Assert.Null(server.Store.WriteFailure);
        }

        [Fact]
        public async Task AnAnswerQueuedBeforeTheFaultGoesOutAndTheHalfQueuedOneBecomesA500()
        {
            using var directory = new FaultInjectingDirectory(_dir.Path);
            int armed = 0;
            directory.OnCall = (operation, _) =>
            {
                if (operation == "read" && Interlocked.Exchange(ref armed, 0) == 1)
                {
                    throw new InvalidOperationException("injected fault");
                }
            };
            using KvServer server = KvServer.Start(TestServer.Options(_dir.Path, o => o.Workers = 1), o => KvStore.Open(o, directory));
            using HttpClient client = TestServer.NewClient(server.BaseAddress);
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("k", new ByteArrayContent(new byte[100]))).StatusCode);

            // Two pipelined GETs: the first is answered; reading the second's value throws after its 200
            // head was queued. The first answer goes out whole; the second head, which nothing could follow
            // truthfully, is dropped for a 500; then the connection closes.
            using var connection = new RawConnection(server.Port);
            Volatile.Write(ref armed, 1);
            connection.Send(Requests.Get("/missing") + Requests.Get("/k"));
            Assert.Equal(404, connection.ReadResponse().Status);
            RawResponse faulted = connection.ReadResponse();
            Assert.Equal(500, faulted.Status);
            Assert.True(faulted.SaysClose, faulted.StatusLine);
            Assert.True(connection.WaitClosed(TimeSpan.FromSeconds(5)), "the faulted connection stayed open");
            Assert.Equal(100, (await client.GetByteArrayAsync("k")).Length);
        }

        [Fact]
        public async Task AnUnexpectedFailureOnTheCommitThreadFailsTheStoreNotTheProcess()
        {
            var schedule = new ThrowingSchedule();
            using KvServer server = KvServer.Start(TestServer.Options(_dir.Path), o =>
            {
                o.Schedule = schedule;
                return KvStore.Open(o);
            });
            using HttpClient client = TestServer.NewClient(server.BaseAddress);
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("before", new StringContent("kept"))).StatusCode);

            schedule.Armed = true;
            using (HttpResponseMessage failed = await client.PutAsync("during", new StringContent("x")))
            {
                Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
                Assert.Equal("the write could not be stored\n", await failed.Content.ReadAsStringAsync());
            }

            // The store is failed: writes are refused with a clear status, reads go on, the process lives.
            Assert.NotNull(server.Store.WriteFailure);
            Assert.Equal(HttpStatusCode.InternalServerError, (await client.PutAsync("after", new StringContent("x"))).StatusCode);
            Assert.Equal(HttpStatusCode.InternalServerError, (await client.DeleteAsync("before")).StatusCode);
            Assert.Equal("kept", await client.GetStringAsync("before"));
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("during")).StatusCode);
        }

        [Fact]
        public void ACompletionCallbackThatThrowsNeitherStopsTheCommitThreadNorLosesOtherWrites()
        {
            var logger = new RecordingLogger();
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.Path, Logger = logger });
            var thrower = new ThrowingCompletion();
            store.BeginPut("first"u8, "1"u8, thrower, 1);
            Assert.True(thrower.Called.Wait(TimeSpan.FromSeconds(10)));

            // The commit thread is still there: a write after it completes, and both are stored.
            Assert.Equal(WriteOutcome.Created, store.Put("second"u8, "2"u8));
            Assert.Equal("1"u8.ToArray(), store.Get("first"u8));
            Assert.Null(store.WriteFailure);
            Assert.Contains(logger.Entries, e => e.EventId.Id == 215 && e.Exception?.Message == "a caller's callback failed");
        }

        /// <summary>Throws once at the commit thread's first seam after it is armed: an unexpected failure between sync and index.</summary>
        private sealed class ThrowingSchedule : StoreSchedule
        {
            public volatile bool Armed;

            public override void Point(string name)
            {
                if (name == "commit.synced" && Armed)
                {
                    Armed = false;
                    throw new InvalidOperationException("injected failure on the commit thread");
                }
            }
        }

        private sealed class ThrowingCompletion : IWriteCompletion
        {
            public ManualResetEventSlim Called { get; } = new ManualResetEventSlim();

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                Called.Set();
                throw new InvalidOperationException("a caller's callback failed");
            }
        }

        /// <summary>
        /// Clients that read their own key in a loop, each on its own connection, counting anything but
        /// success. They only read, so the one armed write fault can only strike the request meant for it.
        /// </summary>
        private sealed class BusyClients : IAsyncDisposable
        {
            private readonly CancellationTokenSource _stop = new CancellationTokenSource();
            private readonly List<Task> _tasks = new List<Task>();
            private readonly List<string> _failures = new List<string>();
            private long _done;

            public BusyClients(Uri baseAddress, int clients)
            {
                for (int i = 0; i < clients; i++)
                {
                    int id = i;
                    _tasks.Add(Task.Run(() => RunAsync(baseAddress, id)));
                }
            }

            public async Task WaitForProgressAsync()
            {
                long start = Interlocked.Read(ref _done);
                DateTime deadline = DateTime.UtcNow.AddSeconds(20);
                while (Interlocked.Read(ref _done) < start + 20)
                {
                    Assert.True(DateTime.UtcNow < deadline, "the other clients made no progress: " + string.Join("; ", _failures));
                    await Task.Delay(10);
                }
            }

            public void AssertNoFailures()
            {
                lock (_failures)
                {
                    Assert.True(_failures.Count == 0, string.Join("; ", _failures));
                }
            }

            public async ValueTask DisposeAsync()
            {
                _stop.Cancel();
                await Task.WhenAll(_tasks);
                _stop.Dispose();
            }

            private async Task RunAsync(Uri baseAddress, int id)
            {
                using HttpClient client = TestServer.NewClient(baseAddress);
                string key = "client" + id;
                while (!_stop.IsCancellationRequested)
                {
                    try
                    {
                        using HttpResponseMessage get = await client.GetAsync(key);
                        string body = await get.Content.ReadAsStringAsync();
                        if (get.StatusCode != HttpStatusCode.OK || body != "value" + id)
                        {
                            Fail(key + ": GET " + (int)get.StatusCode + " " + body);
                        }
                    }
                    catch (Exception e)
                    {
                        Fail(key + ": " + e.Message);
                    }

                    Interlocked.Increment(ref _done);
                }
            }

            private void Fail(string what)
            {
                lock (_failures)
                {
                    _failures.Add(what);
                }
            }
        }
    }
}
