using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>
    /// Emits every constant of the table, group by group: a const where every architecture agrees, and
    /// otherwise a static readonly field that takes the process architecture's value when the class
    /// initializes. The JIT treats an initialized static readonly as a constant, so the difference costs
    /// nothing at run time; only const contexts (a switch case, another const) cannot use such a field.
    /// </summary>
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
                     .Line(Declaration(table, group, constant));
                }
            }

            return new GeneratedFile(table.ClassName + ".Constants.g.cs", FileLayout.EndClass(w));
        }

        private static string Declaration(TableModel table, ConstantGroupModel group, ConstantModel constant)
        {
            string x86_64 = constant.On(Architecture.X86_64).Literal;
            if (!ArchitectureChoice.Differs(table, a => constant.On(a).Value))
            {
                return "public const " + group.Type + " " + constant.Name + " = " + x86_64 + ";";
            }

            return "public static readonly " + group.Type + " " + constant.Name + " = " + ArchitectureChoice.IsAarch64 + " ? " + constant.On(Architecture.Aarch64).Literal + " : " + x86_64 + ";";
        }
    }
}
