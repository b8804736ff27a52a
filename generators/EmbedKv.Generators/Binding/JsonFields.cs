using System.Collections.Generic;
using System.Globalization;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Typed access to the fields of a JSON object that reports, rather than throws, when a field is
    /// missing or of the wrong kind: a bad table yields diagnostics, never a generator crash.
    /// </summary>
    internal sealed class JsonFields
    {
        private readonly List<DiagnosticInfo> _diagnostics;

        public JsonFields(List<DiagnosticInfo> diagnostics) => _diagnostics = diagnostics;

        public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, TableSpan where, params string[] arguments)
            => _diagnostics.Add(DiagnosticInfo.Create(descriptor, where, arguments));

        /// <summary>The node as an object, or null after reporting EKV009.</summary>
        public JsonObject? AsObject(JsonNode node, string what)
        {
            if (node is JsonObject obj)
            {
                return obj;
            }

            Report(Descriptors.InvalidValue, node.Span, what + " must be an object, not " + node.KindName);
            return null;
        }

        /// <summary>A required field's value, or null after reporting EKV002.</summary>
        public JsonNode? Required(JsonObject obj, string field, string owner)
        {
            JsonProperty? property = obj.Find(field);
            if (property is null)
            {
                Report(Descriptors.MissingField, obj.Span, owner, field);
                return null;
            }

            return property.Value;
        }

        public string? RequiredString(JsonObject obj, string field, string owner)
        {
            JsonNode? node = Required(obj, field, owner);
            return node is null ? null : AsString(node, field, owner);
        }

        public string? OptionalString(JsonObject obj, string field, string owner)
        {
            JsonProperty? property = obj.Find(field);
            return property is null ? null : AsString(property.Value, field, owner);
        }

        public bool? RequiredBool(JsonObject obj, string field, string owner)
        {
            JsonNode? node = Required(obj, field, owner);
            if (node is null)
            {
                return null;
            }

            if (node is JsonLiteral { Value: bool value })
            {
                return value;
            }

            WrongKind(node, field, owner, "true or false");
            return null;
        }

        public long? RequiredInteger(JsonObject obj, string field, string owner)
        {
            JsonNode? node = Required(obj, field, owner);
            return node is null ? null : AsInteger(node, field, owner);
        }

        public long? OptionalInteger(JsonObject obj, string field, string owner)
        {
            JsonProperty? property = obj.Find(field);
            return property is null ? null : AsInteger(property.Value, field, owner);
        }

        public JsonArray? RequiredArray(JsonObject obj, string field, string owner)
        {
            JsonNode? node = Required(obj, field, owner);
            return node is null ? null : AsArray(node, field, owner);
        }

        public JsonArray? OptionalArray(JsonObject obj, string field, string owner)
        {
            JsonProperty? property = obj.Find(field);
            return property is null ? null : AsArray(property.Value, field, owner);
        }

        /// <summary>Reports EKV005 for a field written twice in one object (JSON allows it; we do not).</summary>
        public void CheckDuplicateFields(JsonObject obj)
        {
            var seen = new HashSet<string>();
            foreach (JsonProperty property in obj.Properties)
            {
                if (!seen.Add(property.Name))
                {
                    Report(Descriptors.DuplicateName, property.NameSpan, "field", property.Name);
                }
            }
        }

        private string? AsString(JsonNode node, string field, string owner)
        {
            if (node is JsonString text)
            {
                return text.Value;
            }

            WrongKind(node, field, owner, "a string");
            return null;
        }

        private long? AsInteger(JsonNode node, string field, string owner)
        {
            if (node is JsonNumber number
                && long.TryParse(number.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            {
                return value;
            }

            WrongKind(node, field, owner, "an integer");
            return null;
        }

        private JsonArray? AsArray(JsonNode node, string field, string owner)
        {
            if (node is JsonArray array)
            {
                return array;
            }

            WrongKind(node, field, owner, "an array");
            return null;
        }

        private void WrongKind(JsonNode node, string field, string owner, string expected)
        {
            string actual = node is JsonNumber n ? "the number " + n.Text : node.KindName;
            Report(Descriptors.InvalidValue, node.Span, "'" + field + "' of " + owner + " must be " + expected + ", not " + actual);
        }
    }
}
