using System.Collections.Generic;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// An idle keep-alive connection holds neither a buffer nor an exchange: both are rented while a
    /// request is under way and given back after it. Splitting the connection into parts made each hold
    /// 568 bytes of objects where it held 224; renting them keeps the idle figure of bench/run.sh.
    /// </summary>
    public sealed class IdleConnectionTests
    {
        private const int Connections = 200;

        [Fact]
        public void IdleConnectionsHoldNoExchange()
        {
            using TestServer server = TestServer.Start(o => o.Workers = 1);
            var open = new List<RawConnection>();
            try
            {
                // One request at a time on ever more connections, each kept open and idle afterwards.
                for (int i = 0; i < Connections; i++)
                {
                    RawConnection connection = server.Connect();
                    open.Add(connection);
                    connection.Send(Requests.Get("/k" + i));
                    Assert.Equal(404, connection.ReadResponse().Status);
                }

                (int created, int free) = WhenSettled(server);
                Assert.True(created <= 2, created + " exchanges made for " + Connections + " connections served one after another");
                Assert.Equal(created, free);

                // Every connection in the middle of a head at once: each holds an exchange until it is answered.
                foreach (RawConnection connection in open)
                {
                    connection.Send("GET /x HTTP/1.1\r\n");
                }

                foreach (RawConnection connection in open)
                {
                    connection.Send("Host: t\r\n\r\n");
                    Assert.Equal(404, connection.ReadResponse().Status);
                }

                (created, free) = WhenSettled(server);
                Assert.True(created >= Connections / 2, "only " + created + " exchanges for " + Connections + " requests under way at once");
                Assert.Equal(created, free);
            }
            finally
            {
                open.ForEach(c => c.Dispose());
            }
        }

        // The loop gives an exchange back right after it sends the answer; the client may read it first.
        private static (int Created, int Free) WhenSettled(TestServer server)
        {
            (int Created, int Free) pool = server.Server.ExchangePool;
            for (int i = 0; i < 200 && pool.Free != pool.Created; i++)
            {
                System.Threading.Thread.Sleep(10);
                pool = server.Server.ExchangePool;
            }

            return pool;
        }
    }
}
