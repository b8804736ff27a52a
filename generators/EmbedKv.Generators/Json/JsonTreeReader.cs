using System;
using System.Collections.Generic;
using System.Text;
using System.Text.Json;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Model;
using Microsoft.CodeAnalysis.Text;

namespace EmbedKv.Generators.Json
{
    /// <summary>
    /// Reads syscalls.json into a <see cref="JsonNode"/> tree with positions, using System.Text.Json's
    /// <see cref="Utf8JsonReader"/>. The generator compiles against the System.Text.Json package but
    /// runs on the one the compiler's host (.NET) already loads, so nothing ships beside it.
    /// </summary>
    internal sealed class JsonTreeReader
    {
        private static readonly JsonReaderOptions Options = new JsonReaderOptions
        {
            // The table is edited by hand: comments and trailing commas are a kindness.
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        };

        private readonly string _path;
        private readonly SourceText _text;
        private readonly int[] _charOffsetOfByte;

        private JsonTreeReader(string path, SourceText text, int[] charOffsetOfByte)
        {
            _path = path;
            _text = text;
            _charOffsetOfByte = charOffsetOfByte;
        }

        /// <summary>Parses the file; on malformed JSON returns null and the EKV001 diagnostic.</summary>
        public static JsonNode? Read(string path, SourceText text, out DiagnosticInfo? error)
        {
            string content = text.ToString();
            byte[] utf8 = Encoding.UTF8.GetBytes(content);
            var reader = new JsonTreeReader(path, text, MapBytesToChars(content, utf8.Length));
            return reader.ReadDocument(utf8, out error);
        }

        private JsonNode? ReadDocument(byte[] utf8, out DiagnosticInfo? error)
        {
            error = null;
            var json = new Utf8JsonReader(utf8, Options);
            try
            {
                if (!json.Read())
                {
                    error = Malformed("the file is empty", new LinePosition(0, 0));
                    return null;
                }

                JsonNode root = ReadValue(ref json);

                // Anything after the root value (other than comments and space) is an error;
                // Read throws for it.
                json.Read();
                return root;
            }
            catch (JsonException e)
            {
                error = Malformed(CleanMessage(e.Message), PositionOf(e));
                return null;
            }
        }

        private JsonNode ReadValue(ref Utf8JsonReader json)
        {
            long start = json.TokenStartIndex;
            switch (json.TokenType)
            {
                case JsonTokenType.StartObject:
                    var properties = new List<JsonProperty>();
                    while (json.Read() && json.TokenType == JsonTokenType.PropertyName)
                    {
                        string name = json.GetString() ?? string.Empty;
                        TableSpan nameSpan = SpanOf(json.TokenStartIndex, json.BytesConsumed);
                        json.Read();
                        properties.Add(new JsonProperty(name, nameSpan, ReadValue(ref json)));
                    }

                    return new JsonObject(SpanOf(start, json.BytesConsumed), properties);

                case JsonTokenType.StartArray:
                    var items = new List<JsonNode>();
                    while (json.Read() && json.TokenType != JsonTokenType.EndArray)
                    {
                        items.Add(ReadValue(ref json));
                    }

                    return new JsonArray(SpanOf(start, json.BytesConsumed), items);

                case JsonTokenType.String:
                    return new JsonString(SpanOf(start, json.BytesConsumed), json.GetString() ?? string.Empty);

                case JsonTokenType.Number:
                    return new JsonNumber(SpanOf(start, json.BytesConsumed), Encoding.UTF8.GetString(json.ValueSpan.ToArray()));

                case JsonTokenType.True:
                case JsonTokenType.False:
                    return new JsonLiteral(SpanOf(start, json.BytesConsumed), json.TokenType == JsonTokenType.True);

                default:
                    return new JsonLiteral(SpanOf(start, json.BytesConsumed), null);
            }
        }

        private TableSpan SpanOf(long startByte, long endByte)
        {
            int start = _charOffsetOfByte[(int)startByte];
            int end = _charOffsetOfByte[(int)endByte];
            var span = new TextSpan(start, end - start);
            return new TableSpan(_path, span, _text.Lines.GetLinePositionSpan(span));
        }

        private DiagnosticInfo Malformed(string message, LinePosition position)
        {
            int offset = _text.Lines.GetPosition(position);
            var where = new TableSpan(_path, new TextSpan(offset, 0), new LinePositionSpan(position, position));
            return DiagnosticInfo.Create(Descriptors.MalformedJson, where, message);
        }

        /// <summary>System.Text.Json reports a 0-based line and a byte offset within it; we want a character column.</summary>
        private LinePosition PositionOf(JsonException e)
        {
            int line = (int)Math.Min(e.LineNumber ?? 0, _text.Lines.Count - 1);
            TextLine textLine = _text.Lines[line];
            string lineText = _text.ToString(textLine.Span);
            byte[] lineBytes = Encoding.UTF8.GetBytes(lineText);
            int bytes = (int)Math.Min(e.BytePositionInLine ?? 0, lineBytes.Length);
            return new LinePosition(line, Encoding.UTF8.GetCharCount(lineBytes, 0, bytes));
        }

        /// <summary>Drops the position and path suffixes: the diagnostic's location carries them.</summary>
        private static string CleanMessage(string message)
        {
            foreach (string marker in new[] { " Path:", " LineNumber:" })
            {
                int at = message.IndexOf(marker, StringComparison.Ordinal);
                if (at > 0)
                {
                    message = message.Substring(0, at);
                }
            }

            return message.TrimEnd();
        }

        /// <summary>Maps every UTF-8 byte offset of the text (and its end) to the matching char offset.</summary>
        private static int[] MapBytesToChars(string content, int byteCount)
        {
            var map = new int[byteCount + 1];
            int b = 0;
            for (int c = 0; c < content.Length; c++)
            {
                int width;
                char ch = content[c];
                if (ch < 0x80)
                {
                    width = 1;
                }
                else if (ch < 0x800)
                {
                    width = 2;
                }
                else if (char.IsHighSurrogate(ch) && c + 1 < content.Length && char.IsLowSurrogate(content[c + 1]))
                {
                    // A surrogate pair is one 4-byte sequence; its bytes all map to the pair's start.
                    for (int k = 0; k < 4; k++)
                    {
                        map[b++] = c;
                    }

                    c++;
                    continue;
                }
                else
                {
                    width = 3;
                }

                for (int k = 0; k < width; k++)
                {
                    map[b++] = c;
                }
            }

            map[b] = content.Length;
            return map;
        }
    }
}
