using System.Collections.Generic;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Binds the table's <c>structs</c>: the C structs syscall arguments may point to. One binder
    /// serves one table, since struct names must differ across all of its structs.
    /// </summary>
    internal sealed class StructBinder
    {
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<string> _names;

        /// <summary>Structs and the class share the namespace, so a struct may not take the class's name.</summary>
        public StructBinder(string className, BindingDiagnostics diagnostics)
        {
            _diagnostics = diagnostics;
            _names = new HashSet<string> { className };
        }

        public List<StructModel> BindAll(JsonArray? array) => EntryList.Bind(array, Bind);

        private StructModel? Bind(JsonNode node)
        {
            EntryFields? entry = EntryFields.Open(node, "a struct", "name", name => name is null ? "a struct" : "struct '" + name + "'", _diagnostics);
            if (entry is null)
            {
                return null;
            }

            string? name = entry.Name;
            if (name is not null && entry.CheckIdentifier(name, "name") && !_names.Add(name))
            {
                entry.Report(Descriptors.DuplicateName, "struct", name);
            }

            long pack = entry.OptionalInteger("pack") ?? 0;
            if (pack is not (0 or 1 or 2 or 4 or 8 or 16))
            {
                entry.Invalid("pack", "'pack' of " + entry.Owner + " must be 0, 1, 2, 4, 8 or 16");
            }

            List<FieldModel> fields = new FieldBinder(entry.Owner, _diagnostics).BindAll(entry.RequiredArray("fields"));
            return name is null
                ? null
                : new StructModel(name, entry.OptionalString("c"), (int)pack, fields.ToEquatableArray());
        }
    }
}
