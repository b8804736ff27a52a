using System;
using System.Linq;
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
