using System.Collections.Generic;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Binds the <c>fields</c> of one struct: a scalar or a fixed array each, in the kernel's order,
    /// since the emitted struct is sequential and its layout must match the C one.
    /// </summary>
    internal sealed class FieldBinder
    {
        private readonly string _structOwner;
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<string> _names = new HashSet<string>();

        public FieldBinder(string structOwner, BindingDiagnostics diagnostics)
        {
            _structOwner = structOwner;
            _diagnostics = diagnostics;
        }

        public List<FieldModel> BindAll(JsonArray? array) => EntryList.Bind(array, Bind);

        private FieldModel? Bind(JsonNode node)
        {
            EntryFields? entry = EntryFields.Open(node, "a field of " + _structOwner, "name", name => "field '" + name + "' of " + _structOwner, _diagnostics);
            if (entry is null)
            {
                return null;
            }

            string? name = entry.Name;
            string? type = entry.RequiredString("type");
            if (name is null || type is null || !entry.CheckIdentifier(name, "name"))
            {
                return null;
            }

            if (!_names.Add(name))
            {
                entry.Report(Descriptors.DuplicateName, "field", name);
            }

            if (!TypeNames.TryField(type, out string element, out int length))
            {
                entry.ReportAt("type", Descriptors.UnknownType, type, entry.Owner, TypeNames.FieldTypesText);
                return null;
            }

            return new FieldModel(name, entry.OptionalString("c"), element, length);
        }
    }
}
