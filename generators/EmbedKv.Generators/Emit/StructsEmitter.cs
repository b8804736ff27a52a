using System.Collections.Generic;
using System.Linq;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>
    /// Emits the table's structs as blittable, sequential C# structs (partial, so code can add helpers).
    /// A C# struct has one layout in every process, so a struct whose layout differs by architecture
    /// becomes one type per layout: the x86_64 one under its own name, which the syscall signatures use,
    /// and the aarch64 one of the same name in the nested namespace <c>Aarch64</c>. Code that runs on
    /// aarch64 fills the aarch64 type and passes its address cast to the signature's pointer type.
    /// </summary>
    internal static class StructsEmitter
    {
        private const string Layout = "global::System.Runtime.InteropServices.StructLayout(global::System.Runtime.InteropServices.LayoutKind.Sequential";

        public static GeneratedFile? Emit(TableModel table)
        {
            if (table.Structs.Count == 0)
            {
                return null;
            }

            SourceWriter w = FileLayout.Begin(table);
            bool first = true;
            foreach (StructModel model in table.Structs)
            {
                if (!first)
                {
                    w.Line();
                }

                first = false;
                string? other = Differs(table, model) ? "Its aarch64 layout differs: see <see cref=\"Aarch64." + model.Name + "\"/>." : null;
                EmitStruct(w, table, model, Architecture.X86_64, other);
            }

            List<StructModel> differing = table.Structs.Where(model => Differs(table, model)).ToList();
            if (differing.Count > 0)
            {
                w.Line().Open("namespace Aarch64");
                first = true;
                foreach (StructModel model in differing)
                {
                    if (!first)
                    {
                        w.Line();
                    }

                    first = false;
                    EmitStruct(w, table, model, Architecture.Aarch64, "Its aarch64 layout, which differs from x86_64's <see cref=\"global::" + table.Namespace + "." + model.Name + "\"/>.");
                }

                w.Close();
            }

            return new GeneratedFile(table.ClassName + ".Structs.g.cs", FileLayout.End(w));
        }

        /// <summary>Whether <paramref name="model"/> needs a second type: the table describes aarch64 and its layout there is not x86_64's.</summary>
        private static bool Differs(TableModel table, StructModel model)
            => ArchitectureChoice.Differs(table, a => (model.On(a).Pack, model.On(a).Fields));

        private static void EmitStruct(SourceWriter w, TableModel table, StructModel model, Architecture architecture, string? note)
        {
            StructLayoutModel layout = model.On(architecture);
            string summary = model.CName is null ? model.Name : "The kernel's <c>" + FileLayout.Xml(model.CName) + "</c>.";
            w.Line("/// <summary>" + summary + (note is null ? string.Empty : " " + note) + "</summary>")
             .Line("[" + Layout + (layout.Pack != 0 ? ", Pack = " + layout.Pack : string.Empty) + ")]")
             .Open(FileLayout.Visibility(table) + " unsafe partial struct " + model.Name);
            foreach (FieldModel field in layout.Fields)
            {
                string doc = field.CName is null ? "Padding." : "<c>" + FileLayout.Xml(field.CName) + "</c>.";
                w.Line("/// <summary>" + doc + "</summary>");
                w.Line(field.ArrayLength == 0
                    ? "public " + field.Type + " " + field.Name + ";"
                    : "public fixed " + field.Type + " " + field.Name + "[" + field.ArrayLength + "];");
            }

            w.Close();
        }
    }
}
