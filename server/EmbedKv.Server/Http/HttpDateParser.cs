using System;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// Reads an HTTP-date (RFC 9110 §5.6.7) for If-Modified-Since, If-Unmodified-Since and If-Range, in
    /// the three forms a recipient MUST accept:
    /// <code>
    /// IMF-fixdate  = day-name "," SP day SP month SP year SP time-of-day SP "GMT"   Sun, 06 Nov 1994 08:49:37 GMT
    /// rfc850-date  = day-name-l "," SP day "-" month "-" 2DIGIT SP time-of-day SP "GMT"   Sunday, 06-Nov-94 08:49:37 GMT
    /// asctime-date = day-name SP month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year   Sun Nov  6 08:49:37 1994
    /// time-of-day  = hour ":" minute ":" second      ; 00:00:00 - 23:59:60 (leap second)
    /// </code>
    /// Names are case-sensitive (%s in the grammar), as the grammar is exact here; a day that the month
    /// does not have is refused; the day-name is not checked against the date (the grammar does not tie
    /// them, and the date is what is compared). A leap second 60 counts as the next minute's 0. A
    /// two-digit year more than 50 years in the future is taken in the past century (§5.6.7: MUST).
    /// </summary>
    internal static class HttpDateParser
    {
        private const long SecondsPerDay = 86_400;

        /// <summary>The date as Unix time in seconds, or false when <paramref name="value"/> is not an HTTP-date.</summary>
        public static bool TryParse(ReadOnlySpan<byte> value, out long unixSeconds)
            => TryParse(value, DateTime.UtcNow.Year, out unixSeconds);

        /// <summary>As <see cref="TryParse(ReadOnlySpan{byte}, out long)"/>, with the current year given, for rfc850's two-digit years.</summary>
        internal static bool TryParse(ReadOnlySpan<byte> value, int currentYear, out long unixSeconds)
        {
            unixSeconds = 0;
            int comma = value.IndexOf((byte)',');
            if (comma == 3)
            {
                return IsDayName(value.Slice(0, 3)) && TryImfFixdate(value.Slice(4), out unixSeconds);
            }

            if (comma > 3)
            {
                return IsLongDayName(value.Slice(0, comma)) && TryRfc850(value.Slice(comma + 1), currentYear, out unixSeconds);
            }

            return comma < 0 && value.Length > 4 && IsDayName(value.Slice(0, 3)) && value[3] == (byte)' ' && TryAsctime(value.Slice(4), out unixSeconds);
        }

        // SP day SP month SP year SP time-of-day SP GMT: " 06 Nov 1994 08:49:37 GMT"
        private static bool TryImfFixdate(ReadOnlySpan<byte> text, out long unixSeconds)
        {
            unixSeconds = 0;
            return text.Length == 25 && text[0] == (byte)' ' && text[3] == (byte)' ' && text[7] == (byte)' ' && text[12] == (byte)' '
                && text[21] == (byte)' ' && text.Slice(22).SequenceEqual("GMT"u8)
                && TryDigits(text.Slice(1, 2), out int day) && TryMonth(text.Slice(4, 3), out int month) && TryDigits(text.Slice(8, 4), out int year)
                && TryCompose(year, month, day, text.Slice(13, 8), out unixSeconds);
        }

        // SP day "-" month "-" 2DIGIT SP time-of-day SP GMT: " 06-Nov-94 08:49:37 GMT"
        private static bool TryRfc850(ReadOnlySpan<byte> text, int currentYear, out long unixSeconds)
        {
            unixSeconds = 0;
            if (text.Length != 23 || text[0] != (byte)' ' || text[3] != (byte)'-' || text[7] != (byte)'-' || text[10] != (byte)' '
                || text[19] != (byte)' ' || !text.Slice(20).SequenceEqual("GMT"u8)
                || !TryDigits(text.Slice(1, 2), out int day) || !TryMonth(text.Slice(4, 3), out int month) || !TryDigits(text.Slice(8, 2), out int yy))
            {
                return false;
            }

            int year = (currentYear / 100 * 100) + yy;
            if (year > currentYear + 50)
            {
                year -= 100;
            }

            return TryCompose(year, month, day, text.Slice(11, 8), out unixSeconds);
        }

        // month SP ( 2DIGIT / ( SP DIGIT ) ) SP time-of-day SP year: "Nov  6 08:49:37 1994"
        private static bool TryAsctime(ReadOnlySpan<byte> text, out long unixSeconds)
        {
            unixSeconds = 0;
            if (text.Length != 20 || text[3] != (byte)' ' || text[6] != (byte)' ' || text[15] != (byte)' '
                || !TryMonth(text.Slice(0, 3), out int month) || !TryDigits(text.Slice(16, 4), out int year))
            {
                return false;
            }

            int day;
            if (text[4] == (byte)' ')
            {
                if (!FieldSyntax.IsDigit(text[5]))
                {
                    return false;
                }

                day = text[5] - '0';
            }
            else if (!TryDigits(text.Slice(4, 2), out day))
            {
                return false;
            }

            return TryCompose(year, month, day, text.Slice(7, 8), out unixSeconds);
        }

        private static bool TryCompose(int year, int month, int day, ReadOnlySpan<byte> time, out long unixSeconds)
        {
            unixSeconds = 0;
            if (time[2] != (byte)':' || time[5] != (byte)':'
                || !TryDigits(time.Slice(0, 2), out int hour) || !TryDigits(time.Slice(3, 2), out int minute) || !TryDigits(time.Slice(6, 2), out int second)
                || hour > 23 || minute > 59 || second > 60 || day < 1 || day > DaysInMonth(year, month))
            {
                return false;
            }

            unixSeconds = (DaysSinceEpoch(year, month, day) * SecondsPerDay) + (hour * 3600) + (minute * 60) + second;
            return true;
        }

        /// <summary>Days from 1970-01-01 in the proleptic Gregorian calendar (H. Hinnant's days_from_civil).</summary>
        private static long DaysSinceEpoch(int year, int month, int day)
        {
            long y = month <= 2 ? year - 1 : year;
            long era = (y >= 0 ? y : y - 399) / 400;
            long yearOfEra = y - (era * 400);
            long dayOfYear = ((153 * (month > 2 ? month - 3 : month + 9)) + 2) / 5 + day - 1;
            long dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
            return (era * 146_097) + dayOfEra - 719_468;
        }

        private static int DaysInMonth(int year, int month) => month switch
        {
            2 => (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28,
            4 or 6 or 9 or 11 => 30,
            _ => 31,
        };

        private static bool TryMonth(ReadOnlySpan<byte> name, out int month)
        {
            ReadOnlySpan<byte> months = "JanFebMarAprMayJunJulAugSepOctNovDec"u8;
            for (month = 1; month <= 12; month++)
            {
                if (name.SequenceEqual(months.Slice((month - 1) * 3, 3)))
                {
                    return true;
                }
            }

            month = 0;
            return false;
        }

        private static bool IsDayName(ReadOnlySpan<byte> name)
        {
            ReadOnlySpan<byte> days = "MonTueWedThuFriSatSun"u8;
            for (int i = 0; i < days.Length; i += 3)
            {
                if (name.SequenceEqual(days.Slice(i, 3)))
                {
                    return true;
                }
            }

            return false;
        }

        private static bool IsLongDayName(ReadOnlySpan<byte> name)
            => name.SequenceEqual("Monday"u8) || name.SequenceEqual("Tuesday"u8) || name.SequenceEqual("Wednesday"u8)
                || name.SequenceEqual("Thursday"u8) || name.SequenceEqual("Friday"u8) || name.SequenceEqual("Saturday"u8)
                || name.SequenceEqual("Sunday"u8);

        private static bool TryDigits(ReadOnlySpan<byte> text, out int number)
        {
            number = 0;
            foreach (byte b in text)
            {
                if (!FieldSyntax.IsDigit(b))
                {
                    return false;
                }

                number = (number * 10) + (b - '0');
            }

            return true;
        }
    }
}
