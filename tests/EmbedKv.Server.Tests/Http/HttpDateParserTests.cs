using System;
using System.Globalization;
using System.Text;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Tests.Http
{
    /// <summary>HTTP-date in its three forms (RFC 9110 §5.6.7) to Unix time.</summary>
    public sealed class HttpDateParserTests
    {
        private const int ThisYear = 2025;

        /// <summary>RFC 9110 §5.6.7's example in its three forms: 784111777 is 1994-11-06 08:49:37 UTC.</summary>
        [Theory]
        [InlineData("Sun, 06 Nov 1994 08:49:37 GMT")]
        [InlineData("Sunday, 06-Nov-94 08:49:37 GMT")]
        [InlineData("Sun Nov  6 08:49:37 1994")]
        [InlineData("Sun Nov 06 08:49:37 1994")] // date3's 2DIGIT day
        public void TheRfcExampleInEveryForm(string value)
        {
            Assert.True(HttpDateParser.TryParse(Encoding.ASCII.GetBytes(value), ThisYear, out long seconds));
            Assert.Equal(784111777, seconds);
            Assert.True(HttpDateParser.TryParse(Encoding.ASCII.GetBytes(value), out long now));
            Assert.Equal(784111777, now);
        }

        [Theory]
        [InlineData("Sat, 29 Oct 1994 19:43:31 GMT", 783459811)] // RFC 9110 §13.1.5's If-Range example
        [InlineData("Thu, 01 Jan 1970 00:00:00 GMT", 0)]
        [InlineData("Wed, 31 Dec 1969 23:59:59 GMT", -1)]
        [InlineData("Tue, 19 Jan 2038 03:14:08 GMT", 2147483648)]
        [InlineData("Thu, 29 Feb 2024 12:00:00 GMT", 1709208000)]
        [InlineData("Tue, 29 Feb 2000 00:00:00 GMT", 951782400)]
        [InlineData("Sat, 31 Dec 2016 23:59:60 GMT", 1483228800)] // a leap second is the next minute's 0
        [InlineData("Fri, 31 Dec 9999 23:59:59 GMT", 253402300799)]
        [InlineData("Mon, 01 Jan 0001 00:00:00 GMT", -62135596800)]
        [InlineData("Mon, 01 Jan 1970 00:00:00 GMT", 0)] // the day-name is not checked against the date
        public void DatesAreUnixSeconds(string value, long expected)
        {
            Assert.True(HttpDateParser.TryParse(Encoding.ASCII.GetBytes(value), ThisYear, out long seconds));
            Assert.Equal(expected, seconds);
        }

        /// <summary>rfc850's two-digit year: more than 50 years ahead is the past century (§5.6.7: MUST).</summary>
        [Theory]
        [InlineData("Thursday, 01-Jan-75 00:00:00 GMT", 2025, 2075)]
        [InlineData("Thursday, 01-Jan-76 00:00:00 GMT", 2025, 1976)]
        [InlineData("Thursday, 01-Jan-25 00:00:00 GMT", 2025, 2025)]
        [InlineData("Thursday, 01-Jan-00 00:00:00 GMT", 2025, 2000)]
        [InlineData("Thursday, 01-Jan-99 00:00:00 GMT", 2025, 1999)]
        [InlineData("Thursday, 01-Jan-49 00:00:00 GMT", 2099, 2049)] // a past year is never moved
        [InlineData("Thursday, 01-Jan-50 00:00:00 GMT", 2099, 2050)]
        [InlineData("Thursday, 01-Jan-98 00:00:00 GMT", 2099, 2098)]
        public void TwoDigitYearsAreNeverFarInTheFuture(string value, int currentYear, int year)
        {
            Assert.True(HttpDateParser.TryParse(Encoding.ASCII.GetBytes(value), currentYear, out long seconds));
            Assert.Equal(new DateTimeOffset(year, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), seconds);
        }

        [Theory]
        [InlineData("")]
        [InlineData("Sun, 06 Nov 1994 08:49:37 UTC")]
        [InlineData("Sun, 06 Nov 1994 08:49:37 gmt")]
        [InlineData("sun, 06 Nov 1994 08:49:37 GMT")] // names are case-sensitive (%s)
        [InlineData("SUN, 06 Nov 1994 08:49:37 GMT")]
        [InlineData("Sun, 06 nov 1994 08:49:37 GMT")]
        [InlineData("Sun, 06 NOV 1994 08:49:37 GMT")]
        [InlineData("Son, 06 Nov 1994 08:49:37 GMT")]
        [InlineData("Sun, 6 Nov 1994 08:49:37 GMT")]
        [InlineData("Sun,  06 Nov 1994 08:49:37 GMT")]
        [InlineData("Sun 06 Nov 1994 08:49:37 GMT")]
        [InlineData("Sun, 06 Nov 94 08:49:37 GMT")]
        [InlineData("Sun, 06 Nov 1994 8:49:37 GMT")]
        [InlineData("Sun, 06 Nov 1994 08:49:37")]
        [InlineData("Sun, 06 Nov 1994 08:49:37 GMT ")]
        [InlineData(" Sun, 06 Nov 1994 08:49:37 GMT")]
        [InlineData("Sun, 06 Nov 1994 08.49.37 GMT")]
        [InlineData("Sun, 06 Nov 1994 08:49:3 GMT")]
        [InlineData("Sun, 0a Nov 1994 08:49:37 GMT")]
        [InlineData("Sun, 06 Nov 199x 08:49:37 GMT")]
        [InlineData("Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT")]
        [InlineData("Sun, 00 Nov 1994 08:49:37 GMT")]
        [InlineData("Sun, 31 Nov 1994 08:49:37 GMT")] // November has 30 days
        [InlineData("Sun, 29 Feb 1900 08:49:37 GMT")] // 1900 was not a leap year
        [InlineData("Sun, 30 Feb 2000 08:49:37 GMT")]
        [InlineData("Sun, 06 Nov 1994 24:00:00 GMT")]
        [InlineData("Sun, 06 Nov 1994 08:60:00 GMT")]
        [InlineData("Sun, 06 Nov 1994 08:49:61 GMT")]
        [InlineData("Sun, 06 Nov 1994 -8:49:37 GMT")]
        [InlineData("Sun, 06 Nov 1994 08:49:37 +0000")]
        [InlineData("Sunday, 06 Nov 1994 08:49:37 GMT")]
        [InlineData("Sunday, 06-Nov-1994 08:49:37 GMT")]
        [InlineData("Sun, 06-Nov-94 08:49:37 GMT")]
        [InlineData("sunday, 06-Nov-94 08:49:37 GMT")]
        [InlineData("Sonntag, 06-Nov-94 08:49:37 GMT")]
        [InlineData("Sunday, 06-Nov-94 08:49:37")]
        [InlineData("Sunday, 6-Nov-94 08:49:37 GMT")]
        [InlineData("Sun Nov 6 08:49:37 1994")]
        [InlineData("Sun Nov  6 08:49:37 94")]
        [InlineData("Sun Nov  6 08:49:37 1994 GMT")]
        [InlineData("Sun  Nov  6 08:49:37 1994")]
        [InlineData("Sun Nov  x 08:49:37 1994")]
        [InlineData("Sun Nov  0 08:49:37 1994")]
        [InlineData("Sun Nov 31 08:49:37 1994")]
        [InlineData("\"xyzzy\"")]
        [InlineData("784111777")]
        public void WhatIsNotAnHttpDateIsRefused(string value)
            => Assert.False(HttpDateParser.TryParse(Encoding.ASCII.GetBytes(value), ThisYear, out _));

        [Fact]
        public void AgreesWithDotNetOnEveryForm()
        {
            var random = new Random(5322);
            long minimum = new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
            long maximum = new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).ToUnixTimeSeconds();
            for (int i = 0; i < 5_000; i++)
            {
                long unix = random.NextInt64(minimum, maximum + 1);
                DateTime date = DateTimeOffset.FromUnixTimeSeconds(unix).UtcDateTime;
                Check(date.ToString("R", CultureInfo.InvariantCulture), unix);
                Check(date.ToString("ddd MMM ", CultureInfo.InvariantCulture) + date.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2) + date.ToString(" HH:mm:ss yyyy", CultureInfo.InvariantCulture), unix);
                if (date.Year >= ThisYear - 49 && date.Year <= ThisYear + 50)
                {
                    Check(date.ToString("dddd, dd-MMM-yy HH:mm:ss 'GMT'", CultureInfo.InvariantCulture), unix);
                }
            }
        }

        [Fact]
        public void ParsingAllocatesNothing()
            => Assert.Equal(0, Allocations.Of(() =>
            {
                HttpDateParser.TryParse("Sun, 06 Nov 1994 08:49:37 GMT"u8, out _);
                HttpDateParser.TryParse("Sunday, 06-Nov-94 08:49:37 GMT"u8, out _);
                HttpDateParser.TryParse("Sun Nov  6 08:49:37 1994"u8, out _);
                HttpDateParser.TryParse("Sun, 31 Nov 1994 08:49:37 GMT"u8, out _);
            }));

        private static void Check(string value, long unix)
        {
            Assert.True(HttpDateParser.TryParse(Encoding.ASCII.GetBytes(value), ThisYear, out long seconds), value);
            Assert.True(unix == seconds, value + ": " + seconds + ", not " + unix);
        }
    }
}
