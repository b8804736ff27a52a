using System;
using System.Diagnostics;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Threading.Tasks;
using EmbedKv.Runtime;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage;
using Xunit.Abstractions;
using static EmbedKv.Server.Tests.Server.RoutesTests;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>Start, stop, restart: the same port again at once, the data still there, and clear failures.</summary>
    public sealed class LifecycleTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public LifecycleTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Theory]
        [InlineData(ListenerMode.ReusePort)]
        [InlineData(ListenerMode.SharedExclusive)] // no SO_REUSEPORT: only SO_REUSEADDR lets it rebind past TIME_WAIT
        public async Task RestartOnTheSamePortRightAfterStopKeepsTheData(ListenerMode mode)
        {
            byte[] large = new byte[3 << 20];
            new Random(6).NextBytes(large);
            int port = 0;
            for (int round = 0; round < 3; round++)
            {
                var clock = Stopwatch.StartNew();
                using KvServer server = KvServer.Start(TestServer.Options(_dir.Path, o =>
                {
                    o.Port = port;
                    o.ListenerMode = mode;
                })); // disposing after StopAsync is a no-op
                _output.WriteLine("round " + round + ": started on port " + server.Port + " in " + clock.Elapsed.TotalMilliseconds + " ms");
                if (round > 0)
                {
                    Assert.Equal(port, server.Port);
                }

                port = server.Port;
                using (HttpClient client = TestServer.NewClient(server.BaseAddress))
                {
                    // Everything earlier rounds wrote is there.
                    for (int earlier = 0; earlier < round; earlier++)
                    {
                        Assert.Equal("round " + earlier, await client.GetStringAsync("key-" + earlier));
                    }

                    if (round > 0)
                    {
                        Assert.Equal(SHA256.HashData(large), SHA256.HashData(await client.GetByteArrayAsync("large")));
                    }

                    using (HttpResponseMessage put = await client.PutAsync("key-" + round, new StringContent("round " + round)))
                    {
                        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                    }

                    using (HttpResponseMessage put = await client.PutAsync("large", new ByteArrayContent(large)))
                    {
                        Assert.Equal(round == 0 ? HttpStatusCode.Created : HttpStatusCode.NoContent, put.StatusCode);
                    }

                    // Connections still open when it stops: the server closes them, so its side is left in TIME_WAIT.
                    using RawConnection idle = new RawConnection(server.Port);
                    Exchange(idle, Requests.Get("/key-0"), 200);
                    clock.Restart();
                    await server.StopAsync(TimeSpan.FromSeconds(5));
                    _output.WriteLine("round " + round + ": stopped in " + clock.Elapsed.TotalMilliseconds + " ms");
                    Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), "stopping with only idle connections took " + clock.Elapsed);
                    Assert.True(idle.WaitClosed(TimeSpan.FromSeconds(1)), "an idle connection outlived the server");
                }
            }

            // The directory is free again and holds it all.
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.Path });
            Assert.Equal(4, store.Count);
            Assert.Equal(large, store.Get(Requests.Utf8("large")));
        }

        [Fact]
        public async Task StopLetsARequestInFlightFinishAndItIsStored()
        {
            byte[] value = new byte[1 << 20];
            new Random(8).NextBytes(value);
            using KvServer server = KvServer.Start(TestServer.Options(_dir.Path));
            Task stopped;
            using (RawConnection c = new RawConnection(server.Port))
            {
                // Half the body, then the server is told to stop, then the rest.
                c.Send("PUT /in-flight HTTP/1.1\r\nHost: t\r\nContent-Length: " + value.Length + "\r\n\r\n");
                c.Send(value.AsSpan(0, value.Length / 2));
                await Task.Delay(200);
                stopped = server.StopAsync(TimeSpan.FromSeconds(10));
                await Task.Delay(200);
                Assert.False(stopped.IsCompleted, "stopped without waiting for the request in flight");
                // A new connection is refused at once (the listener left LISTEN when stopping began),
                // not left in the accept queue to be reset when the grace period ends.
                SocketException refused = Assert.Throws<SocketException>(() => new RawConnection(server.Port).Dispose());
                Assert.Equal(SocketError.ConnectionRefused, refused.SocketErrorCode);

                c.Send(value.AsSpan(value.Length / 2));
                RawResponse response = c.ReadResponse();
                Assert.Equal(201, response.Status);
                Assert.True(response.SaysClose, "a response during shutdown must say Connection: close");
                Assert.True(c.WaitClosed(TimeSpan.FromSeconds(5)));
            }

            await stopped;
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = _dir.Path });
            Assert.Equal(value, store.Get(Requests.Utf8("in-flight")));
        }

        [Fact]
        public void StartOnAPortInUseFailsNamingBindAndTheErrno()
        {
            using var holder = new TcpListener(IPAddress.Loopback, 0);
            holder.Start();
            int port = ((IPEndPoint)holder.LocalEndpoint).Port;

            IOException failure = Assert.ThrowsAny<IOException>(() => KvServer.Start(TestServer.Options(_dir.Path, o => o.Port = port)));
            _output.WriteLine(failure.Message);
            Assert.IsType<SyscallException>(failure);
            Assert.Equal("bind 127.0.0.1:" + port + ": EADDRINUSE (Address already in use)", failure.Message);

            // The failed start let go of the data directory: a start on a free port works at once.
            using KvServer server = KvServer.Start(TestServer.Options(_dir.Path));
            using RawConnection c = new RawConnection(server.Port);
            Exchange(c, Requests.Get("/k"), 404);
        }

        [Fact]
        public void StartOnAPortAnotherKvServerHoldsFails()
        {
            // Every loop's listener has SO_REUSEPORT, which would let a second server of the same user
            // share the port; KvServer.Start probes it without SO_REUSEPORT first.
            using var other = new TempDirectory();
            using KvServer first = KvServer.Start(TestServer.Options(_dir.Path));
            IOException failure = Assert.ThrowsAny<IOException>(() => KvServer.Start(TestServer.Options(other.Path, o => o.Port = first.Port)).Dispose());
            Assert.Equal("bind 127.0.0.1:" + first.Port + ": EADDRINUSE (Address already in use)", failure.Message);
        }

        [Fact]
        public void StartOnALockedDataDirectoryFailsWithStorageLocked()
        {
            using KvServer first = KvServer.Start(TestServer.Options(_dir.Path));
            StorageLockedException locked = Assert.Throws<StorageLockedException>(() => KvServer.Start(TestServer.Options(_dir.Path)));
            _output.WriteLine(locked.Message);
            Assert.Contains(_dir.Path, locked.Message, StringComparison.Ordinal);

            // The first server is unaffected.
            using RawConnection c = new RawConnection(first.Port);
            Exchange(c, Requests.Put("/still", "serving"), 201);

            // A plain store cannot open it either.
            Assert.Throws<StorageLockedException>(() => KvStore.Open(new StoreOptions { DataDirectory = _dir.Path }));
        }

        [Fact]
        public void StartOnAnUnusableDataDirectoryNamesTheSyscallAndErrno()
        {
            // Root ignores permissions, so make the path unusable another way: a file where a directory must be.
            string file = _dir.File("not-a-directory");
            File.WriteAllText(file, "x");
            string data = Path.Combine(file, "data");
            SyscallException failure = Assert.Throws<SyscallException>(() => KvServer.Start(TestServer.Options(data)));
            _output.WriteLine(failure.Message);
            Assert.Equal("ENOTDIR", failure.Errno.Name);
            Assert.Contains(file, failure.Message, StringComparison.Ordinal);
            Assert.Matches("^[a-z0-9_]+ ", failure.Message); // starts with the syscall's name
        }
    }
}
