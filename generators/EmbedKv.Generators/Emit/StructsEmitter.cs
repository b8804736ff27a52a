using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>Emits the table's structs as blittable, sequential C# structs (partial, so code can add helpers).</summary>
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
                StructLayoutModel layout = model.On(Architecture.X86_64);
                if (!first)
                {
                    w.Line();
                }

                first = false;
                string summary = model.CName is null ? model.Name : "The kernel's <c>" + FileLayout.Xml(model.CName) + "</c>.";
                w.Line("/// <summary>" + summary + "</summary>")
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

            return new GeneratedFile(table.ClassName + ".Structs.g.cs", FileLayout.End(w));
        }
    }
}
