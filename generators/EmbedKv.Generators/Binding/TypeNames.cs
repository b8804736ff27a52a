using System.Collections.Generic;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>The type vocabulary of syscalls.json: what an argument, a field or a constant may be.</summary>
    internal static class TypeNames
    {
        public const string ArgumentTypesText =
            "int, uint, long, ulong, nint, nuint, or a pointer to one of those, to byte, sbyte, short, ushort, void or a table struct";

        public const string FieldTypesText =
            "byte, sbyte, short, ushort, int, uint, long, ulong, nint, nuint, or a fixed array such as byte[8]";

        public const string ConstantTypesText = "int, uint, long or ulong";

        private static readonly HashSet<string> ScalarArguments = new HashSet<string>
        {
            "int", "uint", "long", "ulong", "nint", "nuint",
        };

        private static readonly HashSet<string> PointeeTypes = new HashSet<string>
        {
            "int", "uint", "long", "ulong", "nint", "nuint", "byte", "sbyte", "short", "ushort", "void",
        };

        private static readonly HashSet<string> FieldScalars = new HashSet<string>
        {
            "byte", "sbyte", "short", "ushort", "int", "uint", "long", "ulong", "nint", "nuint",
        };

        // C# fixed-size buffers accept only these element types (no nint or nuint).
        private static readonly HashSet<string> FixedBufferElements = new HashSet<string>
        {
            "byte", "sbyte", "short", "ushort", "int", "uint", "long", "ulong",
        };

        private static readonly HashSet<string> ConstantTypes = new HashSet<string> { "int", "uint", "long", "ulong" };

        /// <summary>Resolves an argument type; false if it is not one the table allows.</summary>
        public static bool TryArgument(string type, ICollection<string> structNames, out ArgumentConversion conversion)
        {
            conversion = ArgumentConversion.Implicit;
            if (ScalarArguments.Contains(type))
            {
                // int and nint widen to a 64-bit register implicitly (sign extension); the rest need a cast.
                conversion = type == "int" || type == "nint" ? ArgumentConversion.Implicit : ArgumentConversion.Cast;
                return true;
            }

            if (type.Length > 1 && type[type.Length - 1] == '*')
            {
                string pointee = type.Substring(0, type.Length - 1);
                conversion = ArgumentConversion.Pointer;
                return PointeeTypes.Contains(pointee) || structNames.Contains(pointee);
            }

            return false;
        }

        /// <summary>Resolves a struct field type, either a scalar or "T[N]".</summary>
        public static bool TryField(string type, out string element, out int arrayLength)
        {
            element = type;
            arrayLength = 0;
            int open = type.IndexOf('[');
            if (open < 0)
            {
                return FieldScalars.Contains(type);
            }

            if (type[type.Length - 1] != ']')
            {
                return false;
            }

            element = type.Substring(0, open);
            string count = type.Substring(open + 1, type.Length - open - 2);
            return FixedBufferElements.Contains(element)
                && int.TryParse(count, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out arrayLength)
                && arrayLength > 0;
        }

        public static bool IsConstantType(string type) => ConstantTypes.Contains(type);
    }
}
