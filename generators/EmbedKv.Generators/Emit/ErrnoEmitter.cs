using System.Globalization;
using System.Linq;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>Emits the errno lookups from the table's errno group.</summary>
    internal static class ErrnoEmitter
    {
        public static GeneratedFile? Emit(TableModel table)
        {
            ConstantGroupModel? errno = table.ConstantGroups.FirstOrDefault(g => g.IsErrno);
            if (errno is null)
            {
                return null;
            }

            SourceWriter w = FileLayout.BeginClass(table);
            w.Line("/// <summary>The symbolic name of an errno value (\"EBADF\"), or null if the table does not list it.</summary>")
             .Line("/// <param name=\"errno\">A positive errno value.</param>")
             .Line("/// <returns>The name, or null.</returns>")
             .Open("public static string? ErrnoName(int errno) => errno switch");
            foreach (ConstantModel constant in errno.Constants)
            {
                w.Line(Value(constant) + " => \"" + constant.Name + "\",");
            }

            w.Line("_ => null,").Close(";").Line();

            w.Line("/// <summary>The C library's message for an errno value (\"Bad file descriptor\"), or null if the table does not list it.</summary>")
             .Line("/// <param name=\"errno\">A positive errno value.</param>")
             .Line("/// <returns>The message, or null.</returns>")
             .Open("public static string? ErrnoMessage(int errno) => errno switch");
            foreach (ConstantModel constant in errno.Constants)
            {
                w.Line(Value(constant) + " => \"" + Escape(constant.Message ?? constant.Name) + "\",");
            }

            w.Line("_ => null,").Close(";");
            return new GeneratedFile(table.ClassName + ".Errno.g.cs", FileLayout.EndClass(w));
        }

        private static string Value(ConstantModel constant) => constant.On(Architecture.X86_64).Value.ToString(CultureInfo.InvariantCulture);

        private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"");
    }
}
