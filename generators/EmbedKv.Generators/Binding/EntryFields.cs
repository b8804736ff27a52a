using System;
using System.Collections.Generic;
using System.Globalization;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// One entry of the table (the table itself, a syscall, an argument, a struct…) read field by
    /// field. A missing field or one of the wrong kind is reported against the entry rather than
    /// thrown, so a bad table yields diagnostics, never a generator crash. Every binder opens its
    /// entries here, so they all word and place those diagnostics alike.
    /// </summary>
    internal sealed class EntryFields
    {
        private readonly JsonObject _object;
        private readonly BindingDiagnostics _diagnostics;

        private EntryFields(JsonObject obj, string owner, string? name, BindingDiagnostics diagnostics)
        {
            _object = obj;
            Owner = owner;
            Name = name;
            _diagnostics = diagnostics;
        }

        /// <summary>How messages name the entry: by its place ("a struct") until its name is read, by that name after.</summary>
        public string Owner { get; }

        /// <summary>The entry's name as read by <see cref="Open(JsonNode, string, string, Func{string?, string}, BindingDiagnostics)"/>; null if missing or not a string.</summary>
        public string? Name { get; }

        /// <summary>
        /// The node as an entry, or null after reporting EKV009 if it is not an object. Reports EKV005
        /// for a field written twice: JSON allows it, but which one would win is no rule to rely on.
        /// </summary>
        public static EntryFields? Open(JsonNode node, string what, BindingDiagnostics diagnostics)
        {
            if (node is not JsonObject obj)
            {
                diagnostics.Report(Descriptors.InvalidValue, node.Span, what + " must be an object, not " + node.KindName);
                return null;
            }

            var entry = new EntryFields(obj, what, null, diagnostics);
            entry.CheckDuplicateFields();
            return entry;
        }

        /// <summary>
        /// Opens the node as an entry and reads its required name from <paramref name="nameField"/>;
        /// later messages give the entry the owner <paramref name="named"/> makes of that name.
        /// </summary>
        public static EntryFields? Open(JsonNode node, string what, string nameField, Func<string?, string> named, BindingDiagnostics diagnostics)
        {
            EntryFields? entry = Open(node, what, diagnostics);
            if (entry is null)
            {
                return null;
            }

            string? name = entry.RequiredString(nameField);
            return new EntryFields(entry._object, named(name), name, diagnostics);
        }

        /// <summary>The same entry under the owner later messages should give it ("the table").</summary>
        public EntryFields Named(string owner) => new EntryFields(_object, owner, Name, _diagnostics);

        /// <summary>A field's value as written, of any kind, or null if absent.</summary>
        public JsonNode? Find(string field) => _object.Find(field)?.Value;

        /// <summary>A required field's value, or null after reporting EKV002.</summary>
        public JsonNode? Required(string field)
        {
            JsonNode? node = Find(field);
            if (node is null)
            {
                Report(Descriptors.MissingField, Owner, field);
            }

            return node;
        }

        // Each typed read returns null both for an absent optional field and after reporting a
        // missing required one (EKV002) or a value of the wrong JSON kind (EKV009).
        public string? RequiredString(string field) => Read(Required(field), field, AsString);

        public string? OptionalString(string field) => Read(Find(field), field, AsString);

        public bool? RequiredBool(string field) => Read(Required(field), field, AsBool);

        public long? RequiredInteger(string field) => Read(Required(field), field, AsInteger);

        public long? OptionalInteger(string field) => Read(Find(field), field, AsInteger);

        public JsonArray? RequiredArray(string field) => Read(Required(field), field, AsArray);

        public JsonArray? OptionalArray(string field) => Read(Find(field), field, AsArray);

        /// <summary>True if the name can be a C# identifier; otherwise reports EKV009 at the field.</summary>
        public bool CheckIdentifier(string name, string field)
        {
            if (SyntaxFacts.IsValidIdentifier(name))
            {
                return true;
            }

            Invalid(field, "'" + name + "' is not a valid C# identifier");
            return false;
        }

        /// <summary>Reports against the whole entry.</summary>
        public void Report(DiagnosticDescriptor descriptor, params string[] arguments)
            => _diagnostics.Report(descriptor, _object.Span, arguments);

        /// <summary>Reports at a field's value, or at the whole entry if the field is absent.</summary>
        public void ReportAt(string field, DiagnosticDescriptor descriptor, params string[] arguments)
            => _diagnostics.Report(descriptor, Find(field)?.Span ?? _object.Span, arguments);

        /// <summary>EKV009 at a field: its value is of the right kind but not one the table allows.</summary>
        public void Invalid(string field, string message) => ReportAt(field, Descriptors.InvalidValue, message);

        private static T? Read<T>(JsonNode? node, string field, Func<JsonNode, string, T?> read)
            => node is null ? default : read(node, field);

        private void CheckDuplicateFields()
        {
            var seen = new HashSet<string>();
            foreach (JsonProperty property in _object.Properties)
            {
                if (!seen.Add(property.Name))
                {
                    _diagnostics.Report(Descriptors.DuplicateName, property.NameSpan, "field", property.Name);
                }
            }
        }

        private string? AsString(JsonNode node, string field)
        {
            if (node is JsonString text)
            {
                return text.Value;
            }

            WrongKind(node, field, "a string");
            return null;
        }

        private bool? AsBool(JsonNode node, string field)
        {
            if (node is JsonLiteral { Value: bool value })
            {
                return value;
            }

            WrongKind(node, field, "true or false");
            return null;
        }

        private long? AsInteger(JsonNode node, string field)
        {
            if (node is JsonNumber number
                && long.TryParse(number.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            {
                return value;
            }

            WrongKind(node, field, "an integer");
            return null;
        }

        private JsonArray? AsArray(JsonNode node, string field)
        {
            if (node is JsonArray array)
            {
                return array;
            }

            WrongKind(node, field, "an array");
            return null;
        }

        private void WrongKind(JsonNode node, string field, string expected)
        {
            string actual = node is JsonNumber n ? "the number " + n.Text : node.KindName;
            _diagnostics.Report(Descriptors.InvalidValue, node.Span, "'" + field + "' of " + Owner + " must be " + expected + ", not " + actual);
        }
    }
}
