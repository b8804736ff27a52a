using System;
using System.Globalization;
using System.Linq;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>
    /// Emits the errno lookups from the table's errno group: a switch on the values, one per architecture
    /// when the table gives an errno a value of its own on aarch64 (Linux's generic errno values are the same
    /// on x86_64 and aarch64, but a consumer's table may say otherwise).
    /// </summary>
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
             .Line("/// <returns>The name, or null.</returns>");
            EmitLookup(w, table, errno, "public static string? ErrnoName(int errno)", constant => "\"" + constant.Name + "\"");
            w.Line();

            w.Line("/// <summary>The C library's message for an errno value (\"Bad file descriptor\"), or null if the table does not list it.</summary>")
             .Line("/// <param name=\"errno\">A positive errno value.</param>")
             .Line("/// <returns>The message, or null.</returns>");
            EmitLookup(w, table, errno, "public static string? ErrnoMessage(int errno)", constant => "\"" + Escape(constant.Message ?? constant.Name) + "\"");
            return new GeneratedFile(table.ClassName + ".Errno.g.cs", FileLayout.EndClass(w));
        }

        /// <summary>The body of a lookup: one switch, or aarch64's and x86_64's where their values differ.</summary>
        private static void EmitLookup(SourceWriter w, TableModel table, ConstantGroupModel errno, string signature, Func<ConstantModel, string> result)
        {
            if (!errno.Constants.Any(c => ArchitectureChoice.Differs(table, a => c.On(a).Value)))
            {
                EmitSwitch(w.Open(signature + " => errno switch"), errno, Architecture.X86_64, result).Close(";");
                return;
            }

            EmitSwitch(w.Open(signature + " => " + ArchitectureChoice.IsAarch64 + " ? errno switch"), errno, Architecture.Aarch64, result).Close();
            EmitSwitch(w.Open(": errno switch"), errno, Architecture.X86_64, result).Close(";");
        }

        private static SourceWriter EmitSwitch(SourceWriter w, ConstantGroupModel errno, Architecture architecture, Func<ConstantModel, string> result)
        {
            foreach (ConstantModel constant in errno.Constants)
            {
                w.Line(constant.On(architecture).Value.ToString(CultureInfo.InvariantCulture) + " => " + result(constant) + ",");
            }

            return w.Line("_ => null,");
        }

        private static string Escape(string text) => text.Replace("\\", "\\\\").Replace("\"", "\\\"");
    }
}
