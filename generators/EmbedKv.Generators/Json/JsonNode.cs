using System.Collections.Generic;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Json
{
    // A JSON tree that remembers where each value stands in the file. System.Text.Json's own
    // JsonDocument forgets positions, and diagnostics must point at the bad entry's line and column.

    /// <summary>Any JSON value with its place in syscalls.json.</summary>
    internal abstract class JsonNode
    {
        protected JsonNode(TableSpan span) => Span = span;

        public TableSpan Span { get; }

        /// <summary>The JSON kind as a diagnostic would name it ("an object", "a string").</summary>
        public abstract string KindName { get; }
    }

    internal sealed class JsonObject : JsonNode
    {
        public JsonObject(TableSpan span, IReadOnlyList<JsonProperty> properties)
            : base(span) => Properties = properties;

        public IReadOnlyList<JsonProperty> Properties { get; }

        public override string KindName => "an object";

        /// <summary>The first property of that name, or null.</summary>
        public JsonProperty? Find(string name)
        {
            foreach (JsonProperty property in Properties)
            {
                if (property.Name == name)
                {
                    return property;
                }
            }

            return null;
        }
    }

    internal sealed class JsonProperty
    {
        public JsonProperty(string name, TableSpan nameSpan, JsonNode value)
        {
            Name = name;
            NameSpan = nameSpan;
            Value = value;
        }

        public string Name { get; }

        public TableSpan NameSpan { get; }

        public JsonNode Value { get; }
    }

    internal sealed class JsonArray : JsonNode
    {
        public JsonArray(TableSpan span, IReadOnlyList<JsonNode> items)
            : base(span) => Items = items;

        public IReadOnlyList<JsonNode> Items { get; }

        public override string KindName => "an array";
    }

    internal sealed class JsonString : JsonNode
    {
        public JsonString(TableSpan span, string value)
            : base(span) => Value = value;

        public string Value { get; }

        public override string KindName => "a string";
    }

    /// <summary>A number, kept as its source text so that the binder decides its range.</summary>
    internal sealed class JsonNumber : JsonNode
    {
        public JsonNumber(TableSpan span, string text)
            : base(span) => Text = text;

        public string Text { get; }

        public override string KindName => "a number";
    }

    /// <summary>true, false or null.</summary>
    internal sealed class JsonLiteral : JsonNode
    {
        public JsonLiteral(TableSpan span, bool? value)
            : base(span) => Value = value;

        public bool? Value { get; }

        public override string KindName => Value is null ? "null" : "a boolean";
    }
}
