using System;
using System.Globalization;
using System.Threading;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api.Contract
{
    /// <summary>Expiry over real sockets (docs/api.md): <c>?ttl=SECONDS</c> on PUT and POST, Expires on reads. On each backend (<see cref="ApiBackend"/>).</summary>
    public abstract class ExpiryRequestContract
    {
        private protected ExpiryRequestContract(ApiBackend backend) => Backend = backend;

        private protected ApiBackend Backend { get; }

        [Fact]
        public void AValueWithATimeToLiveCarriesExpiresAndIsGoneAfterIt()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            DateTimeOffset before = DateTimeOffset.UtcNow;
            RawResponse written = Exchange(c, Requests.Put("/k?ttl=2", "brief"), 201);
            RawResponse read = Exchange(c, Requests.Get("/k"), 200);
            DateTimeOffset expires = DateTimeOffset.ParseExact(read.Header("Expires")!, "r", CultureInfo.InvariantCulture);
            Assert.Equal(read.Header("Expires"), written.Header("Expires")); // the write says what it stored
            Assert.InRange(expires, before.AddSeconds(1), before.AddSeconds(4));
            Assert.NotNull(Exchange(c, Requests.Head("/k"), 200, toHead: true).Header("Expires"));

            while (DateTimeOffset.UtcNow < expires.AddMilliseconds(200))
            {
                Thread.Sleep(100);
            }

            Exchange(c, Requests.Get("/k"), 404);
            Exchange(c, Requests.Delete("/k"), 404);

            // Created again, as absent; on etcd once its lease is revoked (ApiBackend.ExpiryLag).
            bool created = Backend.HoldsWithinExpiryLag(() =>
            {
                c.Send(Requests.Put("/k", "again", extra: "If-None-Match: *\r\n"));
                RawResponse answer = c.ReadResponse();
                Assert.True(answer.Status is 201 or 412, answer.StatusLine);
                return answer.Status == 201;
            });
            Assert.True(created, "If-None-Match: * still found the expired key");
        }

        [Fact]
        public void APutWithoutTimeToLiveClearsTheExpiry()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/k?ttl=600", "brief"), 201);
            Assert.NotNull(Exchange(c, Requests.Get("/k"), 200).Header("Expires"));
            Assert.NotNull(Exchange(c, Requests.Put("/k?ttl=600", "still brief"), 204).Header("Expires"));
            Assert.Null(Exchange(c, Requests.Put("/k", "forever", method: "POST"), 204).Header("Expires"));
            Assert.Null(Exchange(c, Requests.Get("/k"), 200).Header("Expires"));
        }

        [Theory]
        [InlineData("/k?ttl=0")]
        [InlineData("/k?ttl=-1")]
        [InlineData("/k?ttl=abc")]
        [InlineData("/k?ttl=")]
        [InlineData("/k?ttl")]
        [InlineData("/k?ttl=315360001")]
        [InlineData("/k?ttl=1.5")]
        [InlineData("/k?ttl=10&ttl=20")]
        public void ABadTimeToLiveIsRefusedAndNothingIsStored(string target)
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            RawResponse refused = Exchange(c, Requests.Put(target, "value"), 400);
            Assert.Contains("ttl", refused.BodyText);
            Assert.True(refused.SaysClose, "the body was not read: the connection closes");
            using RawConnection d = server.Connect();
            Exchange(d, Requests.Get("/k"), 404);
        }

        [Theory]
        [InlineData("PUT", "/k?tll=60")]
        [InlineData("PUT", "/k?ttl=60&x=1")]
        [InlineData("GET", "/k?ttl=60")]
        [InlineData("DELETE", "/k?x")]
        [InlineData("GET", "/k?prefix=a")]
        public void AnyOtherQueryParameterOnAKeyIsRefused(string method, string target)
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/k", "value"), 201);
            string request = method == "PUT" ? System.Text.Encoding.ASCII.GetString(Requests.Put(target, "new")) : method + " " + target + " HTTP/1.1\r\nHost: t\r\n\r\n";
            RawResponse refused = Exchange(c, request, 400);
            Assert.Contains("query parameter", refused.BodyText);
            using RawConnection d = server.Connect();
            Assert.Equal("value", Exchange(d, Requests.Get("/k"), 200).BodyText);
        }

        [Fact]
        public void TheLongestTimeToLiveIsTakenAndAnEmptyQueryIsNoParameter()
        {
            using TestServer server = Backend.Start();
            using RawConnection c = server.Connect();
            Exchange(c, Requests.Put("/k?ttl=315360000", "value"), 201);
            DateTimeOffset expires = DateTimeOffset.ParseExact(Exchange(c, Requests.Get("/k?"), 200).Header("Expires")!, "r", CultureInfo.InvariantCulture);
            Assert.InRange(expires, DateTimeOffset.UtcNow.AddYears(9), DateTimeOffset.UtcNow.AddYears(11));
        }

        private protected static RawResponse Exchange(RawConnection c, string request, int status, bool toHead = false) => c.Exchange(request, status, toHead);

        private protected static RawResponse Exchange(RawConnection c, byte[] request, int status) => c.Exchange(request, status);
    }
}
