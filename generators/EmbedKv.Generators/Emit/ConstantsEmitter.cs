using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>Emits every constant of the table as a const field, group by group.</summary>
    internal static class ConstantsEmitter
    {
        public static GeneratedFile? Emit(TableModel table)
        {
            if (table.ConstantGroups.Count == 0)
            {
                return null;
            }

            SourceWriter w = FileLayout.BeginClass(table);
            bool first = true;
            foreach (ConstantGroupModel group in table.ConstantGroups)
            {
                if (!first)
                {
                    w.Line();
                }

                first = false;
                w.Line("// " + group.Name);
                foreach (ConstantModel constant in group.Constants)
                {
                    string summary = constant.Message is null
                        ? "<c>" + constant.Name + "</c>, of the <c>" + group.Name + "</c> constants."
                        : "<c>" + constant.Name + "</c>: " + FileLayout.Xml(constant.Message) + ".";
                    w.Line("/// <summary>" + summary + "</summary>")
                     .Line("public const " + group.Type + " " + constant.Name + " = " + constant.On(Architecture.X86_64).Literal + ";");
                }
            }

            return new GeneratedFile(table.ClassName + ".Constants.g.cs", FileLayout.EndClass(w));
        }
    }
}
