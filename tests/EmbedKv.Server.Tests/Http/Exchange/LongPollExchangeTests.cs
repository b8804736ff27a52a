using System.Text;
using EmbedKv.Server.Kv;

namespace EmbedKv.Server.Tests.Http.Exchange
{
    /// <summary>
    /// A long-poll in the exchange, without a socket (<see cref="ExchangeHarness"/> plays the loop): a GET
    /// that waits is parked with nothing sent, holds back what was pipelined behind it, and is answered
    /// as the key stands when the loop gives it back.
    /// </summary>
    public sealed class LongPollExchangeTests
    {
        [Fact]
        public void AParkedReadHoldsBackThePipelinedRequestsUntilItIsAnswered()
        {
            using var h = new ExchangeHarness();
            h.Store.Put(Encoding.UTF8.GetBytes("b"), Encoding.UTF8.GetBytes("bee"));
            Assert.Equal(string.Empty, h.Request("GET /a HTTP/1.1\r\nHost: t\r\nPrefer: wait=20\r\n\r\n"));
            Assert.Equal(string.Empty, h.Request("GET /b HTTP/1.1\r\nHost: t\r\n\r\n"));
            Assert.NotNull(h.Parked);
            Assert.Equal("a", Encoding.UTF8.GetString(h.Parked!.Key));
            Assert.Equal(0UL, h.Parked.Seen);
            Assert.Equal(20_000, h.Parked.WaitMilliseconds);

            h.Store.Put(Encoding.UTF8.GetBytes("a"), Encoding.UTF8.GetBytes("ay"));
            string answers = h.AnswerWait();
            int first = answers.IndexOf("\r\n\r\nay", System.StringComparison.Ordinal);
            int second = answers.IndexOf("\r\n\r\nbee", System.StringComparison.Ordinal);
            Assert.True(first > 0 && second > first, answers);
            Assert.StartsWith("HTTP/1.1 200 OK", answers);
        }

        [Fact]
        public void AGetWithARequestAlreadyReadBehindItDoesNotWait()
        {
            using var h = new ExchangeHarness();
            string answers = h.Request("GET /a HTTP/1.1\r\nHost: t\r\nPrefer: wait=20\r\n\r\nGET /a HTTP/1.1\r\nHost: t\r\n\r\n");
            Assert.Null(h.Parked);
            Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(answers, "HTTP/1.1 404").Count);
        }

        [Fact]
        public void AWaitIsCappedAt300SecondsAndItsConditionsComeBackWithIt()
        {
            using var h = new ExchangeHarness();
            ulong version = h.Store.Put(Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes("v"), EmbedKv.Server.Storage.WriteCondition.None).Version;
            string tag = "\"" + version.ToString("x16", System.Globalization.CultureInfo.InvariantCulture) + "\"";
            Assert.Equal(string.Empty, h.Request("GET /k HTTP/1.1\r\nHost: t\r\nIf-None-Match: " + tag + "\r\nPrefer: wait=100000\r\n\r\n"));
            ReadWait parked = h.Parked!;
            Assert.Equal(KvHandler.MaxWaitSeconds * 1000L, parked.WaitMilliseconds);
            Assert.Equal(version, parked.Seen);

            // Answered unchanged (its time was up): the 304 it would have sent, from the conditions it kept.
            string answer = h.AnswerWait();
            Assert.StartsWith("HTTP/1.1 304 Not Modified", answer);
            Assert.Contains("ETag: " + tag, answer);
        }
    }
}
