using System;
using System.Globalization;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Parses a constant's value: a JSON integer, or a string in hex ("0x80000000") or octal
    /// ("0o2000000"), since flags read best the way the kernel headers write them.
    /// </summary>
    internal static class ConstantValue
    {
        /// <summary>Parses into sign and magnitude; false if the text is not an integer of those forms.</summary>
        public static bool TryParse(string text, bool fromString, out bool negative, out ulong magnitude, out int radix)
        {
            negative = false;
            magnitude = 0;
            radix = 10;
            string digits = text.Trim();
            if (digits.StartsWith("-", StringComparison.Ordinal))
            {
                negative = true;
                digits = digits.Substring(1);
            }

            if (fromString && digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                radix = 16;
                digits = digits.Substring(2);
                return digits.Length > 0
                    && ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out magnitude);
            }

            if (fromString && digits.StartsWith("0o", StringComparison.OrdinalIgnoreCase))
            {
                radix = 8;
                digits = digits.Substring(2);
                if (digits.Length == 0 || digits.Length > 22)
                {
                    return false;
                }

                foreach (char c in digits)
                {
                    if (c < '0' || c > '7')
                    {
                        return false;
                    }

                    ulong next = (magnitude << 3) | (uint)(c - '0');
                    if (next >> 3 != magnitude)
                    {
                        return false;
                    }

                    magnitude = next;
                }

                return true;
            }

            return digits.Length > 0 && ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out magnitude);
        }

        /// <summary>True if the value fits the C# type of its group.</summary>
        public static bool Fits(string type, bool negative, ulong magnitude)
        {
            switch (type)
            {
                case "int": return negative ? magnitude <= 0x8000_0000UL : magnitude <= int.MaxValue;
                case "uint": return !negative && magnitude <= uint.MaxValue;
                case "long": return negative ? magnitude <= 0x8000_0000_0000_0000UL : magnitude <= long.MaxValue;
                case "ulong": return !negative;
                default: return false;
            }
        }

        /// <summary>The C# literal: hex stays hex (octal becomes hex, which C# lacks), decimal stays decimal.</summary>
        public static string Literal(bool negative, ulong magnitude, int radix)
        {
            // Negative values are always written in decimal: C# gives "-2147483648" its special
            // int.MinValue meaning, while "-0x80000000" negates a uint and no longer fits an int.
            if (negative && magnitude != 0)
            {
                return "-" + magnitude.ToString(CultureInfo.InvariantCulture);
            }

            return radix == 10
                ? magnitude.ToString(CultureInfo.InvariantCulture)
                : "0x" + magnitude.ToString("X", CultureInfo.InvariantCulture);
        }

        public static long AsInt64(bool negative, ulong magnitude)
            => negative ? unchecked(-(long)magnitude) : unchecked((long)magnitude);
    }
}
