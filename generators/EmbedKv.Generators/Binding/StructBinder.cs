using System.Collections.Generic;
using System.Globalization;
using System.Linq;
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
        private readonly PerArchitecture _architectures;
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<string> _names;

        /// <summary>Structs and the class share the namespace, so a struct may not take the class's name.</summary>
        public StructBinder(string className, PerArchitecture architectures, BindingDiagnostics diagnostics)
        {
            _architectures = architectures;
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

            Dictionary<Architecture, int>? packs = BindPacks(entry);
            Dictionary<Architecture, List<FieldModel>>? fields = BindFields(entry);
            if (name is null || packs is null || fields is null)
            {
                return null;
            }

            List<StructLayoutModel> layouts = _architectures.Declared
                .Select(a => new StructLayoutModel(a, packs[a], fields[a].ToEquatableArray()))
                .ToList();
            return new StructModel(name, entry.OptionalString("c"), layouts.ToEquatableArray());
        }

        /// <summary>
        /// <c>pack</c>, one for every architecture or one each (epoll_event is packed on x86_64
        /// only); absent, natural alignment everywhere. Null after reporting.
        /// </summary>
        private Dictionary<Architecture, int>? BindPacks(EntryFields entry)
        {
            JsonNode? node = entry.Find("pack");
            if (node is not JsonObject)
            {
                long pack = entry.OptionalInteger("pack") ?? 0;
                if (pack is not (0 or 1 or 2 or 4 or 8 or 16))
                {
                    entry.Invalid("pack", "'pack' of " + entry.Owner + " must be 0, 1, 2, 4, 8 or 16");
                    return null;
                }

                return _architectures.Declared.ToDictionary(a => a, _ => (int)pack);
            }

            List<KeyValuePair<Architecture, JsonNode>>? nodes = _architectures.Spread(
                node, "'pack' of " + entry.Owner, sharedAllowed: true, a => "'pack' of " + entry.Owner + " has no entry for " + a.Name + " (0 is natural alignment)");
            if (nodes is null)
            {
                return null;
            }

            var packs = new Dictionary<Architecture, int>();
            foreach (KeyValuePair<Architecture, JsonNode> pair in nodes)
            {
                if (pair.Value is JsonNumber number && int.TryParse(number.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int pack) && pack is 0 or 1 or 2 or 4 or 8 or 16)
                {
                    packs[pair.Key] = pack;
                }
                else
                {
                    string actual = pair.Value is JsonNumber n ? n.Text : pair.Value.KindName;
                    _diagnostics.Report(Descriptors.InvalidValue, pair.Value.Span, "The " + pair.Key.Name + " 'pack' of " + entry.Owner + " must be 0, 1, 2, 4, 8 or 16, not " + actual);
                }
            }

            return packs.Count == nodes.Count ? packs : null;
        }

        /// <summary>
        /// <c>fields</c>: one list for every architecture, or an object with a list each where the
        /// kernel lays the struct out differently (struct stat). Null after reporting.
        /// </summary>
        private Dictionary<Architecture, List<FieldModel>>? BindFields(EntryFields entry)
        {
            if (entry.Find("fields") is not JsonObject node)
            {
                JsonArray? shared = entry.RequiredArray("fields");
                List<FieldModel> fields = new FieldBinder(entry.Owner, _diagnostics).BindAll(shared);
                return shared is null ? null : _architectures.Declared.ToDictionary(a => a, _ => fields);
            }

            List<KeyValuePair<Architecture, JsonNode>>? nodes = _architectures.Spread(
                node, "'fields' of " + entry.Owner, sharedAllowed: false, a => "'fields' of " + entry.Owner + " has no list for " + a.Name);
            if (nodes is null)
            {
                return null;
            }

            var result = new Dictionary<Architecture, List<FieldModel>>();
            foreach (KeyValuePair<Architecture, JsonNode> pair in nodes)
            {
                if (pair.Value is JsonArray array)
                {
                    result[pair.Key] = new FieldBinder(entry.Owner + " on " + pair.Key.Name, _diagnostics).BindAll(array);
                }
                else
                {
                    _diagnostics.Report(Descriptors.InvalidValue, pair.Value.Span, "The " + pair.Key.Name + " 'fields' of " + entry.Owner + " must be an array, not " + pair.Value.KindName);
                }
            }

            return result.Count == nodes.Count ? result : null;
        }
    }
}
