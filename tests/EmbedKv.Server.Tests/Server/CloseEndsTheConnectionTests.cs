using System;
using System.Net;
using System.Net.Http;
using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// RFC 9112 §9.6: a server that reads "close" in a request must not process any request after it on
    /// that connection. A pipelined PUT behind `Connection: close` was stored and answered, so whatever
    /// sat between the client and the server decided which requests took effect.
    /// </summary>
    public sealed class CloseEndsTheConnectionTests
    {
        private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

        public static TheoryData<string, int, EmbedKv.Server.Storage.Durability> Closing()
        {
            var data = new TheoryData<string, int, EmbedKv.Server.Storage.Durability>();
            foreach (EmbedKv.Server.Storage.Durability durability in new[] { EmbedKv.Server.Storage.Durability.Always, EmbedKv.Server.Storage.Durability.None })
            {
                data.Add("GET /there HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 200, durability);
                data.Add("GET /absent HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 404, durability);
                data.Add("GET /there HTTP/1.0\r\n\r\n", 200, durability);
                data.Add("PUT /there HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 3\r\n\r\nnew", 204, durability);
                data.Add("DELETE /other HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 204, durability);
            }

            return data;
        }

        [Theory]
        [MemberData(nameof(Closing))]
        public async Task NothingPipelinedAfterCloseIsAnsweredOrApplied(string closing, int status, EmbedKv.Server.Storage.Durability durability)
        {
            using TestServer server = TestServer.Start(o => o.Durability = durability);
            using HttpClient client = server.Client();
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("there", new StringContent("old"))).StatusCode);
            Assert.Equal(HttpStatusCode.Created, (await client.PutAsync("other", new StringContent("kept"))).StatusCode);

            using RawConnection c = server.Connect();
            byte[] after = Requests.Put("/smuggled", "x");
            c.Send(Requests.Utf8(closing + System.Text.Encoding.Latin1.GetString(after) + Requests.Get("/there")));
            RawResponse answer = c.ReadResponse();
            Assert.Equal(status, answer.Status);
            Assert.True(answer.SaysClose || closing.Contains("HTTP/1.0", StringComparison.Ordinal), answer.StatusLine);
            Assert.True(c.WaitClosed(CloseWait), "the connection stayed open after Connection: close");

            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("smuggled")).StatusCode);
        }

        [Fact]
        public async Task BytesArrivingAfterTheClosingRequestAreNotProcessedEither()
        {
            using TestServer server = TestServer.Start(o => o.Workers = 1);
            using HttpClient client = server.Client();

            // The closing PUT waits for its sync; the next request arrives meanwhile, in a later segment.
            using RawConnection c = server.Connect();
            c.Send(Requests.Put("/first", "1", extra: "Connection: close\r\n"));
            c.Send(Requests.Put("/second", "2"));
            Assert.Equal(201, c.ReadResponse().Status);
            Assert.True(c.WaitClosed(CloseWait), "the connection stayed open after Connection: close");
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("second")).StatusCode);
            Assert.Equal("1", await client.GetStringAsync("first"));
        }
    }
}
