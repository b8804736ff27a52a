using System.Text;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>The wait preference (RFC 7240 §4.3) read from Prefer values (§2's grammar).</summary>
    public sealed class PreferencesTests
    {
        /// <summary>RFC 7240's own examples (§2, §4.1, §4.3), and the grammar's room: case, BWS, parameters, quoting.</summary>
        [Theory]
        [InlineData("respond-async, wait=10", 10)]
        [InlineData("respond-async, wait=100", 100)]
        [InlineData("wait=10", 10)]
        [InlineData("wait=0", 0)]
        [InlineData("Wait=5", 5)]
        [InlineData("WAIT=5", 5)]
        [InlineData("wait = 5", 5)] // BWS around "="
        [InlineData("wait\t=\t5", 5)]
        [InlineData("wait=5;foo", 5)] // parameters are ignored
        [InlineData("wait=5 ; foo=bar ; baz=\"q,u;o=te\"", 5)]
        [InlineData("wait=5;", 5)]
        [InlineData("wait=5; ;x", 5)]
        [InlineData("wait=\"5\"", 5)] // word = token / quoted-string
        [InlineData("wait=\"\\5\"", 5)] // a quoted-pair is its character
        [InlineData("wait=007", 7)]
        [InlineData("return=minimal; foo=\"some parameter\", wait=3", 3)]
        [InlineData("foo; bar, wait=4", 4)]
        [InlineData("foo; bar=\"\", wait=4", 4)]
        [InlineData("foo=\"\"; bar, wait=4", 4)]
        [InlineData("foo=\"a,wait=1\", wait=2", 2)] // a comma inside a quoted string ends nothing
        [InlineData(",, wait=6 ,", 6)]
        [InlineData("handling=lenient, wait=8, respond-async", 8)]
        [InlineData("wait=1, wait=2", 1)] // the first instance is the one considered (§2)
        [InlineData("waiting=9, wait=3", 3)]
        [InlineData("x-wait=9, wait=3", 3)]
        public void ReadsTheWait(string value, long seconds)
            => Assert.Equal(seconds, Preferences.Wait(Encoding.ASCII.GetBytes(value)));

        [Theory]
        [InlineData("")]
        [InlineData("respond-async")]
        [InlineData("return=minimal; wait=5")] // a parameter named wait is no preference
        [InlineData("wait")] // no value (§2: empty is no value)
        [InlineData("wait=")]
        [InlineData("wait=\"\"")]
        [InlineData("wait=-1")]
        [InlineData("wait=+1")]
        [InlineData("wait=1.5")]
        [InlineData("wait=5s")]
        [InlineData("wait=0x10")]
        [InlineData("wait=1 2")]
        [InlineData("wait=\"5")]
        [InlineData("wait=\" 5\"")]
        [InlineData("wait=bad, wait=6")] // the first instance decides (§2), even when it cannot be read
        [InlineData("wait=\"1\"x, wait=6")]
        [InlineData("=5")]
        [InlineData("\"wait\"=5")]
        public void AWaitThatCannotBeReadIsIgnored(string value)
            => Assert.Equal(-1, Preferences.Wait(Encoding.ASCII.GetBytes(value)));

        /// <summary>The list goes on at the next comma outside a quoted string; an unclosed quote has no next comma.</summary>
        [Theory]
        [InlineData("foo bar, wait=2", 2)]
        [InlineData("foo=a b, wait=2", 2)]
        [InlineData("foo;=, wait=2", 2)]
        [InlineData("@, wait=2", 2)]
        [InlineData("foo=\"a\\\"b,c\" d, wait=2", 2)]
        [InlineData("foo=\"unclosed, wait=1", -1)]
        public void AMalformedPreferenceBeforeTheWaitIsSkipped(string value, long seconds)
            => Assert.Equal(seconds, Preferences.Wait(Encoding.ASCII.GetBytes(value)));

        [Theory]
        [InlineData("wait=2147483647", 2147483647)]
        [InlineData("wait=2147483648", Preferences.MaxWait)]
        [InlineData("wait=2147483649", Preferences.MaxWait)]
        [InlineData("wait=99999999999999999999999999999999", Preferences.MaxWait)]
        [InlineData("wait=\"99999999999999999999999999999999\"", Preferences.MaxWait)]
        public void HugeWaitsSaturate(string value, long seconds)
            => Assert.Equal(seconds, Preferences.Wait(Encoding.ASCII.GetBytes(value)));

        [Fact]
        public void EveryPreferLineIsReadInOrder()
        {
            byte[] bytes = Encoding.ASCII.GetBytes(
                "GET /k HTTP/1.1\r\nHost: x\r\nPrefer: respond-async\r\nX: wait=1\r\nprefer: return=minimal, wait=7\r\nPrefer: wait=9\r\n\r\n");
            Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(bytes, new HttpLimits(), out RequestHead head, out _, out _));
            Assert.Equal(3, head.Prefer.Count);
            Assert.Equal(7, Preferences.Wait(bytes, in head.Prefer));

            byte[] none = Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(none, new HttpLimits(), out RequestHead plain, out _, out _));
            Assert.Equal(-1, Preferences.Wait(none, in plain.Prefer));
        }

        [Fact]
        public void ReadingAllocatesNothing()
        {
            byte[] bytes = Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\nPrefer: respond-async\r\nPrefer: wait=7\r\n\r\n");
            RequestParser.TryParse(bytes, new HttpLimits(), out RequestHead head, out _, out _);
            Assert.Equal(0, Allocations.Of(() =>
            {
                Preferences.Wait("return=minimal; foo=\"some parameter\", wait=3"u8);
                Preferences.Wait("foo=\"unclosed, wait=1"u8);
                Preferences.Wait(bytes, in head.Prefer);
            }));
        }
    }
}
