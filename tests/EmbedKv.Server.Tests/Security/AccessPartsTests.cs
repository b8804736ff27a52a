using System;
using System.Security.Cryptography;
using System.Text;
using EmbedKv.Server.Http;
using EmbedKv.Server.Kv.Access;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// The access checks' parts on their own: our SHA-256 against the BCL's and FIPS 180-4's examples, the
    /// recent-token cache, the constant-time table, and the Bearer grammar.
    /// </summary>
    public sealed class AccessPartsTests
    {
        [Fact]
        public void Sha256MatchesTheBclForEveryLengthAcrossTheBlockBoundaries()
        {
            var random = new Random(14);
            byte[] ours = new byte[Sha256.HashSize];
            for (int length = 0; length <= 300; length++)
            {
                byte[] data = new byte[length];
                random.NextBytes(data);
                Sha256.Hash(data, ours);
                Assert.True(SHA256.HashData(data).AsSpan().SequenceEqual(ours), "length " + length);
            }
        }

        [Theory]
        [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
        [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
        [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
        public void Sha256GivesTheFipsExamples(string text, string hex)
        {
            byte[] hash = new byte[Sha256.HashSize];
            Sha256.Hash(Encoding.ASCII.GetBytes(text), hash);
            Assert.Equal(hex, Convert.ToHexStringLower(hash));
            Assert.Equal(hex, AccessToken.HashOf(text));
        }

        [Fact]
        public void TheTableFindsEachTokenByItsHashAndNoOther()
        {
            TokenTable table = TokenTable.From(new[]
            {
                new AccessToken { Name = "a", Hash = AccessToken.HashOf("token-a") },
                new AccessToken { Name = "b", Hash = AccessToken.HashOf("token-b").ToUpperInvariant(), KeyPrefix = "b/" },
            });
            Assert.Equal(0, table.Find("token-a"u8));
            Assert.Equal(1, table.Find("token-b"u8));
            Assert.Equal("b/", Encoding.UTF8.GetString(table.PrefixOf(1).Span));
            Assert.Equal(-1, table.Find("token-c"u8));
            Assert.Equal(-1, table.Find("token-"u8));
            Assert.Equal(-1, table.Find(Array.Empty<byte>()));
        }

        [Fact]
        public void RecentTokensFindOnlyTheExactTokensTheyKept()
        {
            var recent = new RecentTokens();
            Assert.Equal(-1, recent.Find("abc"u8));
            recent.Remember("abc"u8, 7);
            Assert.Equal(7, recent.Find("abc"u8));
            Assert.Equal(-1, recent.Find("abd"u8));
            Assert.Equal(-1, recent.Find("ab"u8));
            Assert.Equal(-1, recent.Find("abc\0"u8)); // padding is not part of a token
            Assert.Equal(-1, recent.Find(Array.Empty<byte>()));

            // Four are kept; a fifth pushes out the oldest.
            recent.Remember("t1"u8, 1);
            recent.Remember("t2"u8, 2);
            recent.Remember("t3"u8, 3);
            Assert.Equal(7, recent.Find("abc"u8));
            recent.Remember("t4"u8, 4);
            Assert.Equal(-1, recent.Find("abc"u8));
            Assert.Equal(4, recent.Find("t4"u8));

            // Too long to keep: always hashed.
            byte[] longToken = new byte[RecentTokens.MaxLength + 1];
            longToken.AsSpan().Fill((byte)'x');
            recent.Remember(longToken, 9);
            Assert.Equal(-1, recent.Find(longToken));
        }

        [Fact]
        public void AFullRefusalLogIsSweptAtMostOnceASecondWhateverTheAddresses()
        {
            var logger = new EmbedKv.Server.Tests.Infrastructure.RecordingLogger();
            var failures = new AccessFailures(logger);
            for (int i = 0; i < 4096; i++)
            {
                failures.Refused(AccessRefusal.Invalid, "10.0." + (i / 256) + "." + (i % 256), "a token that is not configured", 401, now: 10_000);
            }

            Assert.Equal(4096, logger.Entries.Count);

            // Half a second on, 20,000 refusals from addresses never seen: counted, one sweep (which finds
            // nobody quiet), no message, no scan per refusal (found by review: 200 us each under the lock).
            for (int i = 0; i < 20_000; i++)
            {
                failures.Refused(AccessRefusal.Invalid, "fd00::" + i.ToString("x", System.Globalization.CultureInfo.InvariantCulture), "a token that is not configured", 401, now: 10_500);
            }

            Assert.Equal(4096 + 20_000, failures.Invalid);
            Assert.Equal(4096, logger.Entries.Count);
            Assert.Equal(1, failures.Sweeps);

            // A second later the quiet addresses are forgotten and a new one is logged.
            failures.Refused(AccessRefusal.Missing, "192.0.2.1", "no bearer token", 401, now: 11_600);
            Assert.Equal(2, failures.Sweeps);
            Assert.Equal(4097, logger.Entries.Count);
        }

        [Theory]
        [InlineData("Bearer abc", "Bearer", "abc")]
        [InlineData("bearer   a-b.c_d~e+f/g==", "Bearer", "a-b.c_d~e+f/g==")]
        [InlineData("Basic dXNlcg==", "None", "")]
        [InlineData("Bearerabc", "None", "")]
        [InlineData("Bearer", "Malformed", "")]
        [InlineData("Bearer ", "Malformed", "")]
        [InlineData("Bearer ==", "Malformed", "")]
        [InlineData("Bearer a=b", "Malformed", "")]
        [InlineData("Bearer a b", "Malformed", "")]
        [InlineData("Bearer a,b", "Malformed", "")]
        public void BearerCredentialsFollowRfc6750(string value, string expected, string token)
        {
            CredentialsKind kind = Enum.Parse<CredentialsKind>(expected);
            byte[] buffer = Encoding.Latin1.GetBytes(value);
            var field = new FieldRef { Offset = 0, Length = buffer.Length, Count = 1 };
            Assert.Equal(kind, BearerCredentials.Read(field, buffer, out ReadOnlySpan<byte> read));
            Assert.Equal(token, Encoding.Latin1.GetString(read));
        }
    }
}
