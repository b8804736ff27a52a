using System;
using System.Text;
using EmbedKv.Server.Http.Conditions;

namespace EmbedKv.Server.Tests.Http.Conditions
{
    /// <summary>Our entity-tag form (a quoted 16-digit lowercase hex version) and the entity-tag grammar (RFC 9110 §8.8.3).</summary>
    public sealed class EntityTagTests
    {
        [Theory]
        [InlineData(0UL, "\"0000000000000000\"")]
        [InlineData(1UL, "\"0000000000000001\"")]
        [InlineData(0xABCDEF0123456789UL, "\"abcdef0123456789\"")]
        [InlineData(ulong.MaxValue, "\"ffffffffffffffff\"")]
        public void WritesAQuotedLowerCaseHexVersion(ulong version, string tag)
        {
            byte[] destination = new byte[EntityTag.Length + 2];
            Assert.Equal(EntityTag.Length, EntityTag.Write(version, destination));
            Assert.Equal(tag, Encoding.ASCII.GetString(destination, 0, EntityTag.Length));
            Assert.Equal(0, destination[EntityTag.Length]); // nothing past the tag
            Assert.True(EntityTag.TryParseVersion(destination.AsSpan(0, EntityTag.Length), out ulong back));
            Assert.Equal(version, back);
        }

        [Fact]
        public void WritingIntoTooShortASpanThrows()
            => Assert.Throws<ArgumentException>(() => EntityTag.Write(1, new byte[EntityTag.Length - 1]));

        [Fact]
        public void EveryVersionRoundTrips()
        {
            var random = new Random(9110);
            Span<byte> tag = stackalloc byte[EntityTag.Length];
            for (int i = 0; i < 10_000; i++)
            {
                ulong version = (ulong)random.NextInt64() ^ ((ulong)random.Next() << 63);
                EntityTag.Write(version, tag);
                Assert.True(EntityTag.TryParseVersion(tag, out ulong back));
                Assert.Equal(version, back);
            }
        }

        [Theory]
        [InlineData("\"ABCDEF0123456789\"")] // upper-case hex is another tag: tags compare byte for byte
        [InlineData("\"abcdef012345678\"")]
        [InlineData("\"abcdef01234567890\"")]
        [InlineData("abcdef0123456789")]
        [InlineData("\"abcdef0123456789")]
        [InlineData("W/\"abcdef0123456789\"")]
        [InlineData("\"abcdef012345678g\"")]
        [InlineData("\"abcdef 123456789\"")]
        [InlineData("\"+bcdef0123456789\"")]
        [InlineData("\"xyzzy\"")]
        [InlineData("\"\"")]
        [InlineData("")]
        public void OnlyOurFormHasAVersion(string opaqueTag)
            => Assert.False(EntityTag.TryParseVersion(Encoding.ASCII.GetBytes(opaqueTag), out _));

        /// <summary>The examples of RFC 9110 §8.8.3 and §13.1.5, and the grammar's edges.</summary>
        [Theory]
        [InlineData("\"xyzzy\"", false, "\"xyzzy\"")]
        [InlineData("W/\"xyzzy\"", true, "\"xyzzy\"")]
        [InlineData("\"\"", false, "\"\"")]
        [InlineData("W/\"\"", true, "\"\"")]
        [InlineData("\"!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\"", false, "\"!#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}~\"")]
        [InlineData("\"caf\u00e9\u00ff\"", false, "\"caf\u00e9\u00ff\"")] // obs-text
        public void ReadsOneEntityTag(string value, bool weak, string opaqueTag)
        {
            Assert.True(EntityTag.TryParse(Encoding.Latin1.GetBytes(value), out bool isWeak, out ReadOnlySpan<byte> opaque));
            Assert.Equal(weak, isWeak);
            Assert.Equal(opaqueTag, Encoding.Latin1.GetString(opaque));
        }

        [Theory]
        [InlineData("")]
        [InlineData("xyzzy")]
        [InlineData("\"xyzzy")]
        [InlineData("xyzzy\"")]
        [InlineData("w/\"xyzzy\"")] // weak = %s"W/": case-sensitive
        [InlineData("W\"xyzzy\"")]
        [InlineData("W/xyzzy")]
        [InlineData("W/ \"xyzzy\"")]
        [InlineData(" \"xyzzy\"")]
        [InlineData("\"xyzzy\" ")]
        [InlineData("\"xy zzy\"")]
        [InlineData("\"xy\tzzy\"")]
        [InlineData("\"xy\u007fzzy\"")]
        [InlineData("\"xy\u0001zzy\"")]
        [InlineData("\"a\"\"b\"")]
        [InlineData("\"a\", \"b\"")]
        [InlineData("*")]
        [InlineData("Sat, 29 Oct 1994 19:43:31 GMT")]
        public void RefusesWhatIsNotOneEntityTag(string value)
            => Assert.False(EntityTag.TryParse(Encoding.Latin1.GetBytes(value), out _, out _));

        [Fact]
        public void EtagcIsEveryVisibleByteButTheQuoteAndObsText()
        {
            for (int b = 0; b < 256; b++)
            {
                bool expected = b == 0x21 || (b >= 0x23 && b <= 0x7E) || b >= 0x80;
                Assert.True(expected == EntityTag.IsEtagc((byte)b), "byte " + b);
            }
        }
    }
}
