using System;
using System.Globalization;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Configuration
{
    /// <summary>Parses setting text; each failure says what was expected, and the caller names the setting.</summary>
    internal static class SettingParsers
    {
        public static int Int(string text) =>
            int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
                ? value
                : throw new FormatException("'" + text + "' is not a whole number");

        public static long Long(string text) =>
            long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
                ? value
                : throw new FormatException("'" + text + "' is not a whole number");

        /// <summary>A decimal number such as "0.25" (range checks are the options' own validation).</summary>
        public static double Fraction(string text) =>
            double.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
                ? value
                : throw new FormatException("'" + text + "' is not a decimal number such as 0.5");

        public static Durability Durability(string text) =>
            EmbedKv.Server.Storage.Durability.TryParse(text, out Durability value)
                ? value
                : throw new FormatException("'" + text + "' is not one of always, none, batched, batched:<n>ms, batched:<n>s");

        public static T Enum<T>(string text)
            where T : struct, System.Enum =>
            System.Enum.TryParse(text.Trim(), ignoreCase: true, out T value) && System.Enum.IsDefined(value)
                ? value
                : throw new FormatException("'" + text + "' is not one of " + string.Join(", ", System.Enum.GetNames<T>()));

        /// <summary>"250ms", "10s", "2m", or a TimeSpan such as "00:00:10".</summary>
        public static TimeSpan Duration(string text)
        {
            string value = text.Trim();
            (string suffix, double scale)[] units = { ("ms", 1), ("s", 1000), ("m", 60_000) };
            foreach ((string suffix, double scale) in units)
            {
                if (value.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                    && double.TryParse(value.AsSpan(0, value.Length - suffix.Length), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double number))
                {
                    return TimeSpan.FromMilliseconds(number * scale);
                }
            }

            return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out TimeSpan span)
                ? span
                : throw new FormatException("'" + text + "' is not a duration such as 250ms, 10s, 2m or 00:00:10");
        }

        public static string Show(TimeSpan span) =>
            span.TotalMilliseconds % 1000 == 0
                ? (span.TotalMilliseconds / 1000).ToString(CultureInfo.InvariantCulture) + "s"
                : span.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms";

        public static string Show(long number) => number.ToString(CultureInfo.InvariantCulture);

        public static string Show(double number) => number.ToString("R", CultureInfo.InvariantCulture);
    }
}
