using System.Text;
using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Conditions;

namespace EmbedKv.Server.Tests.Http.Conditions
{
    /// <summary>Strong and weak comparison (RFC 9110 §8.8.3.2) of request lists with a version's tag, over every field line.</summary>
    public sealed class EntityTagMatchTests
    {
        private const ulong Version = 0x1234;
        private const string Tag = "\"0000000000001234\"";
        private const string Other = "\"0000000000001235\"";

        /// <summary>RFC 9110 §8.8.3.2's table, with our tag as the strong one: W/"1" against "1" is a weak match only.</summary>
        [Theory]
        [InlineData(Tag, true, true)]
        [InlineData("W/" + Tag, false, true)]
        [InlineData(Other, false, false)]
        [InlineData("W/" + Other, false, false)]
        public void ComparisonFollowsTheTable(string requested, bool strong, bool weak)
        {
            Assert.Equal(strong, EntityTagMatch.Strong(Encoding.ASCII.GetBytes(requested), Version));
            Assert.Equal(weak, EntityTagMatch.Weak(Encoding.ASCII.GetBytes(requested), Version));
        }

        [Theory]
        [InlineData("*", true, true)]
        [InlineData("\"xyzzy\", " + Tag + ", \"c3piozzzz\"", true, true)]
        [InlineData("\"xyzzy\", W/" + Tag, false, true)]
        [InlineData(", ," + Tag + ",", true, true)]
        [InlineData("\"0000000000001234\" ", true, true)]
        [InlineData("\"0000000000001234", false, false)]
        [InlineData("\"00000000000012340\"", false, false)]
        [InlineData("\"1234\"", false, false)]
        [InlineData("\"0000000000001ABC\"", false, false)]
        [InlineData("", false, false)]
        [InlineData("xyzzy, " + Tag, false, false)] // malformed: nothing past the error matches
        public void AnyTagOfTheListMatches(string value, bool strong, bool weak)
        {
            Assert.Equal(strong, EntityTagMatch.Strong(Encoding.ASCII.GetBytes(value), Version));
            Assert.Equal(weak, EntityTagMatch.Weak(Encoding.ASCII.GetBytes(value), Version));
        }

        [Fact]
        public void EveryLineOfARepeatedFieldIsCompared()
        {
            byte[] bytes = Encoding.ASCII.GetBytes(
                "PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                + "If-Match: \"a\"\r\nIf-None-Match: \"n\"\r\nIf-Match: W/" + Tag + ", \"b\"\r\nIf-Match: " + Tag + "\r\n"
                + "If-None-Match: W/" + Tag + "\r\n\r\n");
            Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(bytes, new HttpLimits(), out RequestHead head, out _, out _));
            Assert.Equal(3, head.IfMatch.Count);
            Assert.True(EntityTagMatch.Strong(bytes, in head.IfMatch, RequestFields.IfMatch, Version));
            Assert.False(EntityTagMatch.Strong(bytes, in head.IfMatch, RequestFields.IfMatch, Version + 1));
            Assert.True(EntityTagMatch.Weak(bytes, in head.IfNoneMatch, RequestFields.IfNoneMatch, Version));
            Assert.False(EntityTagMatch.Strong(bytes, in head.IfNoneMatch, RequestFields.IfNoneMatch, Version));
            Assert.False(EntityTagMatch.Weak(bytes, in head.IfRange, RequestFields.IfRange, Version)); // absent

            // One line: no walk.
            byte[] single = Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n");
            Assert.Equal(ParseStatus.Complete, RequestParser.TryParse(single, new HttpLimits(), out RequestHead one, out _, out _));
            Assert.True(EntityTagMatch.Weak(single, in one.IfNoneMatch, RequestFields.IfNoneMatch, Version));
        }

        /// <summary>If-Range (RFC 9110 §13.1.5): one strong tag, compared strongly; anything else is no match.</summary>
        [Theory]
        [InlineData(Tag, true)]
        [InlineData("W/" + Tag, false)]
        [InlineData(Other, false)]
        [InlineData("*", false)]
        [InlineData(Tag + ", " + Tag, false)]
        [InlineData(" " + Tag, false)]
        [InlineData("\"xyzzy\"", false)]
        [InlineData("Sat, 29 Oct 1994 19:43:31 GMT", false)]
        [InlineData("", false)]
        public void IfRangeWantsOurStrongTag(string value, bool matches)
            => Assert.Equal(matches, EntityTagMatch.IfRange(Encoding.ASCII.GetBytes(value), Version));

        [Fact]
        public void MatchingAllocatesNothing()
        {
            byte[] bytes = Encoding.ASCII.GetBytes("GET /k HTTP/1.1\r\nHost: x\r\nIf-None-Match: \"a\", W/\"b\"\r\nIf-None-Match: " + Tag + "\r\n\r\n");
            RequestParser.TryParse(bytes, new HttpLimits(), out RequestHead head, out _, out _);
            Assert.True(EntityTagMatch.Weak(bytes, in head.IfNoneMatch, RequestFields.IfNoneMatch, Version));
            Assert.Equal(0, Allocations.Of(() =>
            {
                EntityTagMatch.Weak(bytes, in head.IfNoneMatch, RequestFields.IfNoneMatch, Version);
                EntityTagMatch.Strong(bytes, in head.IfNoneMatch, RequestFields.IfNoneMatch, Version);
                EntityTagMatch.IfRange("\"0000000000001234\""u8, Version);
                EntityTag.Write(Version, stackalloc byte[EntityTag.Length]);
            }));
        }
    }
}
