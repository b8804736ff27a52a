using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Binds the <c>args</c> of one syscall: at most six (x86_64 passes no more in registers), each a
    /// register-sized value or a pointer, optionally tied to a constant group for its documentation.
    /// </summary>
    internal sealed class ArgumentBinder
    {
        private readonly string _syscallOwner;
        private readonly string _syscallName;
        private readonly HashSet<string> _structNames;
        private readonly Dictionary<string, ConstantGroupModel> _groups;
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<string> _names = new HashSet<string>();

        public ArgumentBinder(
            string syscallOwner,
            string syscallName,
            HashSet<string> structNames,
            Dictionary<string, ConstantGroupModel> groups,
            BindingDiagnostics diagnostics)
        {
            _syscallOwner = syscallOwner;
            _syscallName = syscallName;
            _structNames = structNames;
            _groups = groups;
            _diagnostics = diagnostics;
        }

        public List<ArgumentModel> BindAll(JsonArray? args)
        {
            if (args is not null && args.Items.Count > 6)
            {
                _diagnostics.Report(Descriptors.TooManyArguments, args.Span, _syscallName, args.Items.Count.ToString(CultureInfo.InvariantCulture));
            }

            return EntryList.Bind(args, Bind);
        }

        private ArgumentModel? Bind(JsonNode node)
        {
            EntryFields? entry = EntryFields.Open(node, "an argument of " + _syscallOwner, "name", name => "argument '" + name + "' of " + _syscallOwner, _diagnostics);
            if (entry is null)
            {
                return null;
            }

            string? name = entry.Name;
            string? type = entry.RequiredString("type");
            string? groupName = entry.OptionalString("constants");
            if (name is null || type is null || !entry.CheckIdentifier(name, "name"))
            {
                return null;
            }

            if (!_names.Add(name))
            {
                entry.ReportAt("name", Descriptors.DuplicateName, "argument", name);
            }

            if (!TypeNames.TryArgument(type, _structNames, out ArgumentConversion conversion))
            {
                entry.ReportAt("type", Descriptors.UnknownType, type, entry.Owner, TypeNames.ArgumentTypesText);
                return null;
            }

            EquatableArray<string> constantNames = EquatableArray<string>.Empty;
            if (groupName is not null)
            {
                if (_groups.TryGetValue(groupName, out ConstantGroupModel? group))
                {
                    constantNames = group.Constants.Select(c => c.Name).ToEquatableArray();
                }
                else
                {
                    entry.ReportAt("constants", Descriptors.UnknownConstantGroup, name, _syscallName, groupName);
                }
            }

            return new ArgumentModel(name, type, conversion, groupName, constantNames);
        }
    }
}
