using System;
using System.Globalization;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Configuration
{
    /// <summary>
    /// Parses setting text; each failure is a <see cref="FormatException"/> saying what was expected, and the
    /// caller names the setting. Public so that a backend's own settings (EmbedKv.Etcd's) read durations and
    /// numbers exactly as the server's do.
    /// </summary>
    public static class SettingParsers
    {
        /// <summary>A whole number such as "8080" or "-1".</summary>
        /// <param name="text">The setting's text.</param>
        /// <returns>The number.</returns>
        public static int Int(string text) =>
            int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int value)
                ? value
                : throw new FormatException("'" + text + "' is not a whole number");

        /// <summary>A whole number that may exceed 32 bits.</summary>
        /// <param name="text">The setting's text.</param>
        /// <returns>The number.</returns>
        public static long Long(string text) =>
            long.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value)
                ? value
                : throw new FormatException("'" + text + "' is not a whole number");

        /// <summary>A decimal number such as "0.25" (range checks are the options' own validation).</summary>
        /// <param name="text">The setting's text.</param>
        /// <returns>The number.</returns>
        public static double Fraction(string text) =>
            double.TryParse(text.Trim(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
                ? value
                : throw new FormatException("'" + text + "' is not a decimal number such as 0.5");

        /// <summary>always, none, batched, batched:&lt;n&gt;ms or batched:&lt;n&gt;s.</summary>
        /// <param name="text">The setting's text.</param>
        /// <returns>The durability.</returns>
        public static Durability Durability(string text) =>
            EmbedKv.Server.Storage.Durability.TryParse(text, out Durability value)
                ? value
                : throw new FormatException("'" + text + "' is not one of always, none, batched, batched:<n>ms, batched:<n>s");

        /// <summary>One of <typeparamref name="T"/>'s names, case-insensitive.</summary>
        /// <typeparam name="T">The enumeration.</typeparam>
        /// <param name="text">The setting's text.</param>
        /// <returns>The value.</returns>
        public static T Enum<T>(string text)
            where T : struct, System.Enum =>
            System.Enum.TryParse(text.Trim(), ignoreCase: true, out T value) && System.Enum.IsDefined(value)
                ? value
                : throw new FormatException("'" + text + "' is not one of " + string.Join(", ", System.Enum.GetNames<T>()));

        /// <summary>"250ms", "10s", "2m", or a TimeSpan such as "00:00:10".</summary>
        /// <param name="text">The setting's text.</param>
        /// <returns>The duration.</returns>
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

        /// <summary>true or false, case-insensitive.</summary>
        /// <param name="text">The setting's text.</param>
        /// <returns>The value.</returns>
        public static bool Bool(string text) =>
            bool.TryParse(text.Trim(), out bool value)
                ? value
                : throw new FormatException("'" + text + "' is not true or false");

        /// <summary>"read", "write", "admin", or several separated by commas ("read,write").</summary>
        /// <param name="text">The setting's text.</param>
        /// <returns>The scopes, at least one.</returns>
        public static TokenScopes Scopes(string text)
        {
            TokenScopes scopes = TokenScopes.None;
            foreach (string part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                scopes |= part.ToLowerInvariant() switch
                {
                    "read" => TokenScopes.Read,
                    "write" => TokenScopes.Write,
                    "admin" => TokenScopes.Admin,
                    _ => throw new FormatException("'" + part + "' is not a scope; the scopes are read, write and admin, comma-separated"),
                };
            }

            return scopes != TokenScopes.None ? scopes : throw new FormatException("'" + text + "' names no scope; the scopes are read, write and admin, comma-separated");
        }

        /// <summary>A flag as the settings spell it.</summary>
        /// <param name="value">The flag.</param>
        /// <returns>"true" or "false".</returns>
        public static string Show(bool value) => value ? "true" : "false";

        /// <summary>Permission bits in octal, as chmod takes them: "660" or "0660".</summary>
        /// <param name="text">The setting's text.</param>
        /// <returns>The bits.</returns>
        public static int Octal(string text)
        {
            string digits = text.Trim();
            if (digits.Length is 0 or > 4)
            {
                throw new FormatException("'" + text + "' is not permission bits in octal such as 0660");
            }

            int value = 0;
            foreach (char c in digits)
            {
                value = c is >= '0' and <= '7' ? (value * 8) + (c - '0') : throw new FormatException("'" + text + "' is not permission bits in octal such as 0660");
            }

            return value;
        }

        /// <summary>Permission bits as the settings spell them ("0660").</summary>
        /// <param name="mode">The bits.</param>
        /// <returns>The text.</returns>
        public static string Octal(int mode) => "0" + Convert.ToString(mode, 8);

        /// <summary>A duration as the settings spell it: "10s", or "250ms" when not whole seconds.</summary>
        /// <param name="span">The duration.</param>
        /// <returns>The text.</returns>
        public static string Show(TimeSpan span) =>
            span.TotalMilliseconds % 1000 == 0
                ? (span.TotalMilliseconds / 1000).ToString(CultureInfo.InvariantCulture) + "s"
                : span.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms";

        /// <summary>A whole number as the settings spell it.</summary>
        /// <param name="number">The number.</param>
        /// <returns>The text.</returns>
        public static string Show(long number) => number.ToString(CultureInfo.InvariantCulture);

        /// <summary>A decimal number as the settings spell it.</summary>
        /// <param name="number">The number.</param>
        /// <returns>The text.</returns>
        public static string Show(double number) => number.ToString("R", CultureInfo.InvariantCulture);
    }
}
