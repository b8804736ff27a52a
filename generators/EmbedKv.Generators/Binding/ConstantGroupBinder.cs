using System.Collections.Generic;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Binds the table's <c>constants</c>: named groups of one C# type each, which syscall arguments
    /// may refer to. At most one group is the errno group, the one ErrnoName and ErrnoMessage read.
    /// </summary>
    internal sealed class ConstantGroupBinder
    {
        private readonly MemberNames _members;
        private readonly PerArchitecture _architectures;
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<string> _names = new HashSet<string>();
        private bool _sawErrno;

        public ConstantGroupBinder(MemberNames members, PerArchitecture architectures, BindingDiagnostics diagnostics)
        {
            _members = members;
            _architectures = architectures;
            _diagnostics = diagnostics;
        }

        public List<ConstantGroupModel> BindAll(JsonArray? array) => EntryList.Bind(array, Bind);

        private ConstantGroupModel? Bind(JsonNode node)
        {
            EntryFields? entry = EntryFields.Open(node, "a constant group", "group", name => name is null ? "a constant group" : "constant group '" + name + "'", _diagnostics);
            if (entry is null)
            {
                return null;
            }

            string? name = entry.Name;
            if (name is not null && entry.CheckIdentifier(name, "group") && !_names.Add(name))
            {
                entry.Report(Descriptors.DuplicateName, "constant group", name);
            }

            string? type = entry.RequiredString("type");
            if (type is not null && !TypeNames.IsConstantType(type))
            {
                entry.ReportAt("type", Descriptors.UnknownType, type, entry.Owner, TypeNames.ConstantTypesText);
                type = null;
            }

            bool isErrno = entry.Find("errno") is JsonLiteral { Value: true };
            if (isErrno && _sawErrno)
            {
                entry.Report(Descriptors.DuplicateName, "errno group", name ?? "?");
            }

            _sawErrno |= isErrno;

            // The values are bound even when the group's name or type is bad, so their own errors show in the same build.
            List<ConstantModel> constants = new ConstantBinder(entry.Owner, type, isErrno, _members, _architectures, _diagnostics).BindAll(entry.RequiredArray("values"));
            return name is null || type is null
                ? null
                : new ConstantGroupModel(name, type, isErrno, constants.ToEquatableArray());
        }
    }
}
