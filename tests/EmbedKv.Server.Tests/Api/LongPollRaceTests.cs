using System;
using System.Diagnostics;
using System.Text;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Server;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Server.Tests.Api
{
    /// <summary>
    /// The one race of a long-poll: its key written after the GET looked at it and before the wait was
    /// registered. The store's schedule point "wait.watching" (in KvHandler, between the two) writes the
    /// key right there, on the loop's own thread; the write is applied and reported at once (Durability
    /// None), when nobody watches the key yet. The connection looks again once registered (Park), so the
    /// GET is answered with the new value at once instead of at the end of its wait.
    /// </summary>
    public sealed class LongPollRaceTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void AWriteBetweenTheLookAndTheRegistrationIsNotMissed()
        {
            var schedule = new WriteAtWatching(Encoding.UTF8.GetBytes("raced"));
            using KvServer server = KvServer.Start(
                TestServer.Options(_dir.Path, o => { o.Workers = 1; o.Durability = Durability.None; }),
                options =>
                {
                    options.Schedule = schedule;
                    return schedule.Store = KvStore.Open(options);
                });

            using var c = new RawConnection(server.Port);
            var clock = Stopwatch.StartNew();
            c.Send(Requests.Get("/raced", "Prefer: wait=20\r\n"));
            RawResponse answer = c.ReadResponse();
            Assert.Equal(1, schedule.Writes);
            Assert.Equal(200, answer.Status);
            Assert.Equal("written while the GET was not yet watching", answer.BodyText);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "answered only at the end of its wait: " + clock.Elapsed);
        }

        /// <summary>Real threads; at "wait.watching", once, a put of the key the GET is about to wait on.</summary>
        private sealed class WriteAtWatching : StoreSchedule
        {
            private readonly byte[] _key;

            public WriteAtWatching(byte[] key) => _key = key;

            public KvStore? Store { get; set; }

            public int Writes { get; private set; }

            public override void Point(string name)
            {
                if (name == "wait.watching" && Writes == 0 && Store is { } store)
                {
                    Writes++;
                    store.Put(_key, Encoding.UTF8.GetBytes("written while the GET was not yet watching"));
                }
            }
        }
    }
}
