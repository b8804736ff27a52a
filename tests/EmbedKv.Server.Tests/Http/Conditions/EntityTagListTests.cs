using System.Collections.Generic;
using System.Text;
using EmbedKv.Server.Http.Conditions;

namespace EmbedKv.Server.Tests.Http.Conditions
{
    /// <summary>If-Match and If-None-Match values: "*" / #entity-tag (RFC 9110 §13.1.1, §13.1.2, §5.6.1).</summary>
    public sealed class EntityTagListTests
    {
        /// <summary>The examples of RFC 9110 §13.1.1 and §13.1.2, and lists with empty elements (§5.6.1.2).</summary>
        [Theory]
        [InlineData("\"xyzzy\"", "\"xyzzy\"")]
        [InlineData("\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\"", "\"xyzzy\" \"r2d2xxxx\" \"c3piozzzz\"")]
        [InlineData("W/\"xyzzy\"", "W/\"xyzzy\"")]
        [InlineData("W/\"xyzzy\", W/\"r2d2xxxx\", W/\"c3piozzzz\"", "W/\"xyzzy\" W/\"r2d2xxxx\" W/\"c3piozzzz\"")]
        [InlineData("\"a\",W/\"b\"", "\"a\" W/\"b\"")]
        [InlineData("\"a\" \t, \t\"b\"", "\"a\" \"b\"")]
        [InlineData(" \"a\" ", "\"a\"")]
        [InlineData(",\"a\",,  , W/\"b\" ,", "\"a\" W/\"b\"")]
        [InlineData("\"\", \"\"", "\"\" \"\"")]
        [InlineData("\"a,b\"", "\"a,b\"")] // a comma is etagc
        [InlineData("\"*\"", "\"*\"")]
        [InlineData("", "")]
        [InlineData(" , ,", "")]
        public void ReadsEveryTagOfAList(string value, string tags)
        {
            var list = new EntityTagList(Encoding.ASCII.GetBytes(value));
            Assert.False(list.IsAny);
            var read = new List<string>();
            while (list.MoveNext())
            {
                read.Add((list.Current.IsWeak ? "W/" : string.Empty) + Encoding.ASCII.GetString(list.Current.OpaqueTag));
            }

            Assert.False(list.IsMalformed);
            Assert.Equal(tags, string.Join(" ", read));
            Assert.Equal(EntityTagListKind.Tags, EntityTagList.Check(Encoding.ASCII.GetBytes(value)));
        }

        [Theory]
        [InlineData("*")]
        [InlineData(" * ")]
        [InlineData("\t*")]
        public void StarAloneIsAny(string value)
        {
            var list = new EntityTagList(Encoding.ASCII.GetBytes(value));
            Assert.True(list.IsAny);
            Assert.False(list.MoveNext());
            Assert.False(list.IsMalformed);
            Assert.Equal(EntityTagListKind.Any, EntityTagList.Check(Encoding.ASCII.GetBytes(value)));
        }

        [Theory]
        [InlineData("xyzzy", "")]
        [InlineData("*, \"a\"", "")]
        [InlineData("\"a\", *", "\"a\"")]
        [InlineData("*,", "")]
        [InlineData("**", "")]
        [InlineData("\"a\" \"b\"", "")]
        [InlineData("\"a\"\"b\"", "")]
        [InlineData("\"a\"; \"b\"", "")]
        [InlineData("\"a\", b", "\"a\"")]
        [InlineData("\"a\", \"b", "\"a\"")]
        [InlineData("\"a\", w/\"b\"", "\"a\"")]
        [InlineData("W/", "")]
        [InlineData("W/\"a\" x", "")]
        [InlineData("\"a b\"", "")]
        [InlineData("\"a\u0001\"", "")]
        public void StopsAtASyntaxError(string value, string before)
        {
            var list = new EntityTagList(Encoding.ASCII.GetBytes(value));
            var read = new List<string>();
            while (list.MoveNext())
            {
                read.Add(Encoding.ASCII.GetString(list.Current.OpaqueTag));
            }

            Assert.True(list.IsMalformed);
            Assert.False(list.MoveNext());
            Assert.Equal(before, string.Join(" ", read));
            Assert.Equal(EntityTagListKind.Malformed, EntityTagList.Check(Encoding.ASCII.GetBytes(value)));
        }

        [Fact]
        public void ForeachReadsTheTags()
        {
            int count = 0;
            foreach (ListedEntityTag tag in new EntityTagList("W/\"a\", \"b\""u8))
            {
                Assert.Equal(count == 0, tag.IsWeak);
                count++;
            }

            Assert.Equal(2, count);
        }
    }
}
