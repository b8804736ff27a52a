using System.Collections.Generic;
using System.Globalization;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Binds the <c>values</c> of one constant group. A value must fit the group's type, and an errno
    /// value must be a real errno (1..4095) found once, since ErrnoName maps each value to one name.
    /// A value is one for every architecture, or an object with one each where the kernel's differ.
    /// </summary>
    internal sealed class ConstantBinder
    {
        private readonly string _groupOwner;
        private readonly string? _type;
        private readonly bool _isErrno;
        private readonly MemberNames _members;
        private readonly PerArchitecture _architectures;
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<KeyValuePair<Architecture, long>> _errnoValues = new HashSet<KeyValuePair<Architecture, long>>();

        /// <param name="groupOwner">The group's owner, named in the reports about its values.</param>
        /// <param name="type">The group's type, or null if it is bad: values are still checked, but yield no model.</param>
        /// <param name="isErrno">Whether the group holds errno values, each of which must be a real errno found once.</param>
        /// <param name="members">The names already taken, against which each value's name is checked.</param>
        /// <param name="architectures">The table's architectures, each of which needs a value.</param>
        /// <param name="diagnostics">Where the findings are reported.</param>
        public ConstantBinder(string groupOwner, string? type, bool isErrno, MemberNames members, PerArchitecture architectures, BindingDiagnostics diagnostics)
        {
            _architectures = architectures;
            _groupOwner = groupOwner;
            _type = type;
            _isErrno = isErrno;
            _members = members;
            _diagnostics = diagnostics;
        }

        public List<ConstantModel> BindAll(JsonArray? array) => EntryList.Bind(array, BindUnique);

        /// <summary>A constant, checked against the errno values before it; a duplicate is reported, and the report alone voids the model.</summary>
        private ConstantModel? BindUnique(JsonNode node)
        {
            ConstantModel? constant = Bind(node);
            foreach (ConstantValueModel value in constant?.Values ?? EquatableArray<ConstantValueModel>.Empty)
            {
                if (_isErrno && !_errnoValues.Add(new KeyValuePair<Architecture, long>(value.Architecture, value.Value)))
                {
                    _diagnostics.Report(Descriptors.DuplicateName, node.Span, "errno value", value.Value.ToString(CultureInfo.InvariantCulture) + _architectures.On(value.Architecture));
                    break;
                }
            }

            return constant;
        }

        private ConstantModel? Bind(JsonNode node)
        {
            EntryFields? entry = EntryFields.Open(node, "a constant of " + _groupOwner, "name", name => "constant '" + name + "'", _diagnostics);
            if (entry is null)
            {
                return null;
            }

            string? name = entry.Name;
            JsonNode? valueNode = entry.Required("value");
            string? message = _isErrno ? entry.RequiredString("message") : entry.OptionalString("message");
            if (name is null || valueNode is null || !entry.CheckIdentifier(name, "name"))
            {
                return null;
            }

            _members.Claim(name, "constant", entry);
            List<KeyValuePair<Architecture, JsonNode>>? nodes = _architectures.Spread(
                valueNode, "'value' of " + entry.Owner, sharedAllowed: true, a => entry.Owner + " has no value for " + a.Name);
            if (nodes is null)
            {
                return null;
            }

            bool perArchitecture = valueNode is JsonObject;
            var values = new List<ConstantValueModel>();
            foreach (KeyValuePair<Architecture, JsonNode> pair in nodes)
            {
                // One shared value is checked once, and its messages read as they did before architectures.
                ConstantValueModel? value = values.Count > 0 && !perArchitecture
                    ? values[0] with { Architecture = pair.Key }
                    : BindValue(pair.Value, name, perArchitecture ? " (" + pair.Key.Name + ")" : string.Empty, pair.Key, entry);
                if (value is null)
                {
                    return null;
                }

                values.Add(value);
            }

            return _type is null ? null : new ConstantModel(name, values.ToEquatableArray(), message);
        }

        /// <summary>One architecture's value, parsed and checked against the group's type; null after reporting.</summary>
        private ConstantValueModel? BindValue(JsonNode valueNode, string name, string which, Architecture architecture, EntryFields entry)
        {
            string? raw = valueNode switch
            {
                JsonNumber number => number.Text,
                JsonString text => text.Value,
                _ => null,
            };
            if (raw is null || !ConstantValue.TryParse(raw, valueNode is JsonString, out bool negative, out ulong magnitude, out int radix))
            {
                string actual = raw is null ? valueNode.KindName : "\"" + raw + "\"";
                _diagnostics.Report(Descriptors.InvalidValue, valueNode.Span, "'value'" + which + " of " + entry.Owner + " must be an integer or a \"0x…\" or \"0o…\" string, not " + actual);
                return null;
            }

            if (_type is null)
            {
                return null;
            }

            if (!ConstantValue.Fits(_type, negative, magnitude) || (_isErrno && (negative || magnitude < 1 || magnitude > 4095)))
            {
                string range = _isErrno ? "an errno value (1..4095)" : _type;
                _diagnostics.Report(Descriptors.NumberOutOfRange, valueNode.Span, "Constant '" + name + "'" + which + " = " + raw + " does not fit " + range);
                return null;
            }

            long value = ConstantValue.AsInt64(negative, magnitude);
            return new ConstantValueModel(architecture, ConstantValue.Literal(negative, magnitude, radix), value);
        }
    }
}
