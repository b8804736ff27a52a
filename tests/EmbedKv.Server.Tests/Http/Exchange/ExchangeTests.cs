using System;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace EmbedKv.Server.Tests.Http.Exchange
{
    /// <summary>
    /// The HTTP/1.1 exchange fed bytes and read back without a socket (see <see cref="ExchangeHarness"/>):
    /// framing, pipelining, persistence, lingering, deadlines and the turn's budget, each checked on the
    /// exact bytes the exchange would send. The end-to-end suite checks the same over real sockets.
    /// </summary>
    public sealed class ExchangeTests
    {
        private const string H = "Host: x\r\n";

        [Theory]
        [MemberData(nameof(MalformedRequests.Names), MemberType = typeof(MalformedRequests))]
        public void MalformedRequestGetsItsStatus(string name)
        {
            (_, string request, int status) = MalformedRequests.Get(name);
            using var harness = new ExchangeHarness();
            string answer = harness.Serve(MalformedRequests.Bytes(request));
            Assert.True(Statuses(answer).FirstOrDefault() == status, name + ": expected " + status + ", got:\n" + answer);
        }

        [Fact]
        public void PipelinedRequestsAreAnsweredInOrder()
        {
            using var harness = new ExchangeHarness();
            string answer = harness.Request(
                "GET /k HTTP/1.1\r\n" + H + "\r\n"
                + "PUT /k HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhello"
                + "GET /k HTTP/1.1\r\n" + H + "\r\n"
                + "DELETE /k HTTP/1.1\r\n" + H + "\r\n"
                + "HEAD /k HTTP/1.1\r\n" + H + "\r\n");
            Assert.Equal(new[] { 404, 201, 200, 204, 404 }, Statuses(answer));
            Assert.Contains("Content-Length: 5\r\n", answer);
            Assert.Contains("\r\n\r\nhello", answer);
            Assert.True(harness.IsOpen);
            Assert.False(harness.HoldsBuffers); // idle again: the block went back
        }

        [Theory]
        [InlineData(1)]
        [InlineData(3)]
        [InlineData(64)]
        public void AnswersDoNotDependOnHowTheBytesWereSplit(int chunk)
        {
            string requests = "PUT /a%20b HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                + "GET /a%20b HTTP/1.1\r\n" + H + "\r\n";
            using var harness = new ExchangeHarness { ReceiveChunk = chunk };
            var answer = new StringBuilder();
            foreach (char c in requests)
            {
                answer.Append(harness.Request(c.ToString()));
            }

            Assert.Equal(new[] { 201, 200 }, Statuses(answer.ToString()));
            Assert.EndsWith("\r\n\r\nabcde", answer.ToString());
        }

        [Fact]
        public void ContinueIsSentOnlyWhenTheBodyHasNotArrived()
        {
            using var harness = new ExchangeHarness();
            string waiting = harness.Request("PUT /k HTTP/1.1\r\n" + H + "Content-Length: 3\r\nExpect: 100-continue\r\n\r\n");
            Assert.Equal("HTTP/1.1 100 Continue\r\n\r\n", waiting);
            Assert.Equal(new[] { 201 }, Statuses(harness.Request("abc")));

            string together = harness.Request("PUT /k HTTP/1.1\r\n" + H + "Content-Length: 3\r\nExpect: 100-continue\r\n\r\nxyz");
            Assert.Equal(new[] { 204 }, Statuses(together));
        }

        [Fact]
        public void ConnectionCloseDropsWhatFollowsAndLingers()
        {
            using var harness = new ExchangeHarness();
            string answer = harness.Request("GET /k HTTP/1.1\r\n" + H + "Connection: close\r\n\r\nGET /k HTTP/1.1\r\n" + H + "\r\n");
            Assert.Equal(new[] { 404 }, Statuses(answer));
            Assert.Contains("Connection: close\r\n", answer);
            Assert.True(harness.OutputShutDown, "pipelined bytes were dropped: the close lingers");

            harness.ClientClosed = true;
            harness.Drive();
            Assert.False(harness.IsOpen);
        }

        [Fact]
        public void ConnectionCloseWithNothingAfterItClosesAtOnce()
        {
            using var harness = new ExchangeHarness();
            Assert.Equal(new[] { 404 }, Statuses(harness.Request("GET /k HTTP/1.0\r\n\r\n")));
            Assert.False(harness.IsOpen);
            Assert.False(harness.OutputShutDown);
        }

        [Fact]
        public void Http10KeepAliveIsHonoured()
        {
            using var harness = new ExchangeHarness();
            string answer = harness.Request("GET /k HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
            Assert.Contains("Connection: keep-alive\r\n", answer);
            Assert.True(harness.IsOpen);
        }

        [Fact]
        public void ARefusedBodyIsAnsweredThenTheConnectionLingersUntilItsDeadline()
        {
            using var harness = new ExchangeHarness(o => o.MaxValueLength = 4);
            string answer = harness.Request("PUT /k HTTP/1.1\r\n" + H + "Transfer-Encoding: chunked\r\n\r\n9\r\n123456789\r\n");
            Assert.Equal(new[] { 413 }, Statuses(answer));
            Assert.True(harness.OutputShutDown);
            Assert.True(harness.IsOpen);
            Assert.Equal(harness.Now + Math.Min(5000, (long)harness.Options.Limits.BodyTimeout.TotalMilliseconds), harness.Exchange.Deadline);

            // What the client still sends is read and dropped, without another answer.
            Assert.Equal(string.Empty, harness.Request("0\r\n\r\nGET /k HTTP/1.1\r\n" + H + "\r\n"));
            Assert.Equal(0, harness.Unreceived);

            harness.Now = harness.Exchange.Deadline;
            harness.Request("more");
            Assert.False(harness.IsOpen);
            Assert.False(harness.Store.TryGet("k"u8, out _));
        }

        [Fact]
        public void KeyAndValueLimitsAreTheHandlers()
        {
            using var harness = new ExchangeHarness(o => { o.MaxKeyLength = 4; o.MaxValueLength = 3; });
            Assert.Equal(new[] { 404 }, Statuses(harness.Request("GET /%41BCD HTTP/1.1\r\n" + H + "\r\n")));
            Assert.Equal(new[] { 414 }, Statuses(harness.Request("GET /%41BCDE HTTP/1.1\r\n" + H + "\r\n")));
            Assert.True(harness.IsOpen, "a key refused from a whole head without a body keeps the connection");
            Assert.Equal(new[] { 201 }, Statuses(harness.Request("PUT /k HTTP/1.1\r\n" + H + "Content-Length: 3\r\n\r\nabc")));
            Assert.Equal(new[] { 413 }, Statuses(harness.Request("PUT /k HTTP/1.1\r\n" + H + "Content-Length: 4\r\n\r\nabcd")));
        }

        [Fact]
        public void AnUnknownExpectationIsRefusedAfterTheTargetIsJudged()
        {
            using var first = new ExchangeHarness(o => o.MaxKeyLength = 1);
            Assert.Equal(new[] { 414 }, Statuses(first.Request("GET /ab HTTP/1.1\r\n" + H + "Expect: x\r\n\r\n")));
            using var second = new ExchangeHarness(o => o.MaxKeyLength = 1);
            Assert.Equal(new[] { 417 }, Statuses(second.Request("GET /a HTTP/1.1\r\n" + H + "Expect: x\r\n\r\n")));
        }

        [Fact]
        public void DeadlinesFollowThePhase()
        {
            using var harness = new ExchangeHarness();
            var limits = harness.Options.Limits;
            Assert.Equal(harness.Now + (long)limits.HeaderTimeout.TotalMilliseconds, harness.Exchange.Deadline);

            harness.Now += 10;
            harness.Request("PUT /k HTTP/1.1\r\n" + H + "Content-Length: 10\r\n\r\nabc");
            Assert.Equal(harness.Now + (long)limits.BodyTimeout.TotalMilliseconds, harness.Exchange.Deadline);

            harness.Now += 10;
            harness.Request("defghij");
            Assert.Equal(harness.Now + (long)limits.IdleTimeout.TotalMilliseconds, harness.Exchange.Deadline);

            harness.Now += 10;
            harness.Request("GET /k HTTP/1.1\r\n");
            Assert.Equal(harness.Now + (long)limits.HeaderTimeout.TotalMilliseconds, harness.Exchange.Deadline);
        }

        [Fact]
        public void ABusyConnectionYieldsAfterItsRequestBudget()
        {
            using var harness = new ExchangeHarness();
            string forty = string.Concat(Enumerable.Repeat("GET /k HTTP/1.1\r\n" + H + "\r\n", 40));
            string first = harness.Request(forty);
            Assert.Equal(32, Statuses(first).Length);
            Assert.True(harness.Exchange.Yielded);

            string rest = harness.Drive();
            Assert.Equal(8, Statuses(rest).Length);
            Assert.False(harness.Exchange.Yielded);
        }

        [Fact]
        public void LargeValuesGoOutAfterTheirHeadAndSmallOnesInline()
        {
            using var harness = new ExchangeHarness();
            string small = new string('s', 4096);
            string large = new string('L', 20_000);
            harness.Request("PUT /s HTTP/1.1\r\n" + H + "Content-Length: 4096\r\n\r\n" + small);
            harness.Request("PUT /l HTTP/1.1\r\n" + H + "Content-Length: 20000\r\n\r\n" + large);

            string answer = harness.Request("GET /s HTTP/1.1\r\n" + H + "\r\nGET /l HTTP/1.1\r\n" + H + "\r\nHEAD /l HTTP/1.1\r\n" + H + "\r\n");
            Assert.Equal(new[] { 200, 200, 200 }, Statuses(answer));
            Assert.Contains("Content-Length: 4096\r\n", answer);
            Assert.Contains("\r\n\r\n" + small + "HTTP/1.1 200", answer);
            Assert.Contains("\r\n\r\n" + large + "HTTP/1.1 200", answer);
            string head = answer.Substring(answer.LastIndexOf("HTTP/1.1 200", StringComparison.Ordinal));
            Assert.Contains("Content-Length: 20000\r\n", head);
            Assert.EndsWith("\r\n\r\n", head); // HEAD: no body
        }

        [Fact]
        public void AFaultReplacesAnAnswerNotYetSent()
        {
            using var harness = new ExchangeHarness();
            Assert.Equal(new[] { 404 }, Statuses(harness.Request("GET /k HTTP/1.1\r\n" + H + "\r\nGET /k HTTP/1.1\r\n")));
            Assert.True(harness.Exchange.CanStillAnswer);

            // As the event loop's fault handling does: replace the answer, one send, close.
            Assert.True(harness.Exchange.AnswerFault());
            harness.Send();
            harness.Close();
            string answer = harness.Sent();
            Assert.Equal(new[] { 500 }, Statuses(answer));
            Assert.Contains("Connection: close\r\n", answer);
        }

        [Fact]
        public void ServingARequestAllocatesNothing()
        {
            using var harness = new ExchangeHarness();
            harness.Request("PUT /k HTTP/1.1\r\n" + H + "Content-Length: 5\r\n\r\nhello");
            harness.DiscardOutput = true;
            byte[] get = Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\n" + H + "\r\nGET /nothing HTTP/1.1\r\n" + H + "\r\n");
            for (int i = 0; i < 100; i++)
            {
                harness.Pump(get);
            }

            Assert.Equal(0, Allocations.InSteadyState(() =>
            {
                for (int i = 0; i < 1000; i++)
                {
                    harness.Pump(get);
                }
            }));
        }

        private static int[] Statuses(string answer)
            => Regex.Matches(answer, @"HTTP/1\.[01] (\d{3}) ").Select(m => int.Parse(m.Groups[1].Value)).Where(s => s != 100).ToArray();
    }
}
