using EmbedKv.Server.Tests.Api.Contract;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api
{
    /// <summary>The conditional-request suite (<see cref="ConditionalRequestContract"/>) on the local store, and what only the local store has.</summary>
    public sealed class ConditionalRequestTests : ConditionalRequestContract
    {
        public ConditionalRequestTests()
            : base(LocalBackend.Instance)
        {
        }

        [Fact]
        public void TheETagSurvivesACompactionAndARestart()
        {
            using var dir = new Storage.TempDirectory();
            string etag;
            using (var server = KvServer.Start(TestServer.Options(dir.Path)))
            {
                using var c = new RawConnection(server.Port);
                etag = ETagOf(Exchange(c, Requests.Put("/k", "value"), 201));
                for (int i = 0; i < 50; i++)
                {
                    Exchange(c, Requests.Put("/other", new string('x', 1000)), i == 0 ? 201 : 204);
                }

                server.Store.Compact();
                Assert.Equal(etag, ETagOf(Exchange(c, Requests.Get("/k"), 200)));
            }

            using (var server = KvServer.Start(TestServer.Options(dir.Path)))
            {
                using var c = new RawConnection(server.Port);
                Assert.Equal(etag, ETagOf(Exchange(c, Requests.Get("/k"), 200)));
                Assert.Equal(304, Exchange(c, Requests.Get("/k", "If-None-Match: " + etag + "\r\n"), 304).Status);
            }
        }
    }
}
