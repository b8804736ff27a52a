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
    /// </summary>
    internal sealed class ConstantBinder
    {
        private readonly string _groupOwner;
        private readonly string? _type;
        private readonly bool _isErrno;
        private readonly MemberNames _members;
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<long> _errnoValues = new HashSet<long>();

        /// <param name="groupOwner">The group's owner, named in the reports about its values.</param>
        /// <param name="type">The group's type, or null if it is bad: values are still checked, but yield no model.</param>
        /// <param name="isErrno">Whether the group holds errno values, each of which must be a real errno found once.</param>
        /// <param name="members">The names already taken, against which each value's name is checked.</param>
        /// <param name="diagnostics">Where the findings are reported.</param>
        public ConstantBinder(string groupOwner, string? type, bool isErrno, MemberNames members, BindingDiagnostics diagnostics)
        {
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
            if (constant is not null && _isErrno && !_errnoValues.Add(constant.Value))
            {
                _diagnostics.Report(Descriptors.DuplicateName, node.Span, "errno value", constant.Value.ToString(CultureInfo.InvariantCulture));
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
            string? raw = valueNode switch
            {
                JsonNumber number => number.Text,
                JsonString text => text.Value,
                _ => null,
            };
            if (raw is null || !ConstantValue.TryParse(raw, valueNode is JsonString, out bool negative, out ulong magnitude, out int radix))
            {
                string actual = raw is null ? valueNode.KindName : "\"" + raw + "\"";
                entry.Invalid("value", "'value' of " + entry.Owner + " must be an integer or a \"0x…\" or \"0o…\" string, not " + actual);
                return null;
            }

            if (_type is null)
            {
                return null;
            }

            if (!ConstantValue.Fits(_type, negative, magnitude) || (_isErrno && (negative || magnitude < 1 || magnitude > 4095)))
            {
                string range = _isErrno ? "an errno value (1..4095)" : _type;
                entry.ReportAt("value", Descriptors.NumberOutOfRange, "Constant '" + name + "' = " + raw + " does not fit " + range);
                return null;
            }

            long value = ConstantValue.AsInt64(negative, magnitude);
            return new ConstantModel(name, ConstantValue.Literal(negative, magnitude, radix), value, message);
        }
    }
}
