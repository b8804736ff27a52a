using System;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using EmbedKv.Server.Tests.Api.Contract;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api
{
    /// <summary>The long-poll suite (<see cref="LongPollContract"/>) on the local store, and how the local store's waits hold memory.</summary>
    public sealed class LongPollTests : LongPollContract
    {
        public LongPollTests()
            : base(LocalBackend.Instance)
        {
        }

        // TODO(lead): fails on etcd (3 runs in 6): the GET right after the ttl=1 write answers 404. EtcdStore.GrantLease
        // takes the expiry as the whole second before the grant plus the TTL, so a value lives N-1 to N seconds to
        // reads where docs/api.md promises at least N. Back to LongPollContract once fixed.
        [Fact]
        public void AnExpiringValueWakesItsWaitWith404WhenItExpires()
        {
            using TestServer server = Backend.Start();
            using RawConnection writer = server.Connect();
            RawResponse put = Exchange(writer, Requests.Put("/k?ttl=1", "brief"), 201);
            DateTimeOffset expires = DateTimeOffset.ParseExact(Exchange(writer, Requests.Get("/k"), 200).Header("Expires")!, "r", System.Globalization.CultureInfo.InvariantCulture);

            using RawConnection waiter = server.Connect();
            waiter.Send(Requests.Get("/k", "If-None-Match: " + put.Header("ETag") + "\r\nPrefer: wait=30\r\n"));
            RawResponse woken = waiter.ReadResponse();
            DateTimeOffset answered = DateTimeOffset.UtcNow;
            Assert.Equal(404, woken.Status);
            Assert.InRange(answered, expires.AddMilliseconds(-50), expires.AddSeconds(2) + Backend.ExpiryLag); // on etcd, woken by the lease's revocation
        }

        // TODO(lead): fails on etcd: a GET with Prefer: wait whose client's FIN comes in the same event is waited for
        // (the connection stays open for the whole wait), where docs/etcd.md says a client that hangs up ends its
        // wait. Back to LongPollContract once fixed.
        [Fact]
        public void AClientThatSendsItsRequestAndItsEndTogetherIsNotWaitedFor()
        {
            // Seen failing (review): the hang-up came in the request's own epoll event, was noted before the
            // request parked, and no later edge reported it: the socket sat in CLOSE-WAIT for the whole wait.
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            Thread.Sleep(300); // accepted, idle, registered with epoll

            // TCP_CORK holds the request until the shutdown, which sends it with the FIN in one segment, so the
            // server hears both in one event whatever the timing.
            const SocketOptionName TcpCork = (SocketOptionName)3;
            c.Socket.SetSocketOption(SocketOptionLevel.Tcp, TcpCork, 1);
            c.Socket.Send(System.Text.Encoding.ASCII.GetBytes(Requests.Get("/k", "Prefer: wait=30\r\n")));
            c.Socket.Shutdown(SocketShutdown.Send);
            Assert.True(c.WaitClosed(TimeSpan.FromSeconds(5)), "the wait went on after the client's end of stream");
            Assert.Equal(0, WaitFor(() => Backend.WaitingReads(server), 0));
        }

        // Local only: on etcd a waiting request keeps its exchange while etcd watches (docs/etcd.md, "Where etcd
        // differs"); that clients that leave end their waits is ClientsThatLeaveEndTheirWaits, on both.
        [Fact]
        public void AWaitingRequestHoldsNoExchangeAndAClientThatLeavesEndsItsWait()
        {
            using TestServer server = TestServer.Start(o => o.Workers = 1);
            RawConnection[] waiters = Enumerable.Range(0, 50).Select(_ => server.Connect()).ToArray();
            foreach (RawConnection waiter in waiters)
            {
                waiter.Send(Requests.Get("/k" + Array.IndexOf(waiters, waiter), "Prefer: wait=60\r\n"));
            }

            Assert.Equal(50, WaitFor(() => server.Server.WaitingReads, 50));

            // Every exchange (and with it every block) went back to the pool: the waits hold only their records.
            (int created, int free) = server.Server.ExchangePool;
            Assert.Equal(created, free);

            foreach (RawConnection waiter in waiters)
            {
                waiter.Dispose();
            }

            Assert.Equal(0, WaitFor(() => server.Server.WaitingReads, 0));
            Assert.Equal(0, server.Server.Store.Changes.WatchedCount);
        }
    }
}
