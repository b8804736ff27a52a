using System.Collections.Generic;
using System.Linq;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// The architectures a table declares, and how its entries give a value per architecture: a field
    /// holds either one value for all of them or an object keyed by architecture name. An object must
    /// name every declared architecture and no other, so that adding an architecture to the table is a
    /// build error at each entry that has not yet said what that architecture has.
    /// </summary>
    internal sealed class PerArchitecture
    {
        private readonly BindingDiagnostics _diagnostics;

        public PerArchitecture(IReadOnlyList<Architecture> declared, BindingDiagnostics diagnostics)
        {
            Declared = declared;
            _diagnostics = diagnostics;
        }

        /// <summary>The table's architectures, in the order its <c>architectures</c> lists them.</summary>
        public IReadOnlyList<Architecture> Declared { get; }

        /// <summary>True when the table names more than one architecture, so messages must say which one they mean.</summary>
        public bool IsMultiple => Declared.Count > 1;

        /// <summary>
        /// The table's <c>architectures</c>: known names, each once, x86_64 among them (the emitters
        /// write x86_64 stubs only). Absent, it is x86_64 alone, which is what tables before version 6 meant.
        /// </summary>
        public static PerArchitecture Bind(EntryFields root, BindingDiagnostics diagnostics)
        {
            JsonNode? node = root.Find("architectures");
            if (node is null)
            {
                return new PerArchitecture(new[] { Architecture.X86_64 }, diagnostics);
            }

            var declared = new List<Architecture>();
            JsonArray? array = root.OptionalArray("architectures");
            foreach (JsonNode item in array?.Items ?? (IReadOnlyList<JsonNode>)new JsonNode[0])
            {
                if (item is not JsonString name)
                {
                    diagnostics.Report(Descriptors.InvalidValue, item.Span, "Each of 'architectures' must be a string, not " + item.KindName);
                    continue;
                }

                Architecture? architecture = Known(name.Value, item.Span, "in 'architectures'", diagnostics);
                if (architecture is null)
                {
                    continue;
                }

                if (declared.Contains(architecture))
                {
                    diagnostics.Report(Descriptors.DuplicateName, item.Span, "architecture", name.Value);
                    continue;
                }

                declared.Add(architecture);
            }

            if (array is not null && !declared.Contains(Architecture.X86_64))
            {
                root.Invalid("architectures", "'architectures' must include \"x86_64\": the generator writes x86_64 stubs (other architectures' numbers and values are carried and checked)");
            }

            return new PerArchitecture(declared.Count == 0 ? new[] { Architecture.X86_64 } : declared.ToArray(), diagnostics);
        }

        /// <summary>
        /// One node per declared architecture, in declared order: the node itself for each if it is
        /// not an object and <paramref name="sharedAllowed"/>, else the object's entries. Null after
        /// reporting an unknown, undeclared, repeated or absent architecture.
        /// </summary>
        /// <param name="node">The field's value.</param>
        /// <param name="what">The field as messages name it ("'numbers' of syscall 'read'").</param>
        /// <param name="sharedAllowed">Whether one value may stand for every architecture.</param>
        /// <param name="absent">The message for a declared architecture the object leaves out.</param>
        public List<KeyValuePair<Architecture, JsonNode>>? Spread(JsonNode node, string what, bool sharedAllowed, System.Func<Architecture, string> absent)
        {
            if (node is not JsonObject obj)
            {
                if (sharedAllowed)
                {
                    return Declared.Select(a => new KeyValuePair<Architecture, JsonNode>(a, node)).ToList();
                }

                string actual = node is JsonNumber number ? "the number " + number.Text : node.KindName;
                _diagnostics.Report(Descriptors.InvalidValue, node.Span, what + " must be an object keyed by architecture (\"x86_64\": …), not " + actual);
                return null;
            }

            bool ok = true;
            var found = new Dictionary<Architecture, JsonNode>();
            foreach (JsonProperty property in obj.Properties)
            {
                Architecture? architecture = Known(property.Name, property.NameSpan, "in " + what, _diagnostics);
                if (architecture is null)
                {
                    ok = false;
                }
                else if (!Declared.Contains(architecture))
                {
                    _diagnostics.Report(
                        Descriptors.UnknownArchitecture,
                        property.NameSpan,
                        "Architecture '" + property.Name + "' in " + what + " is not one of the table's 'architectures' (" + string.Join(", ", Declared.Select(a => a.Name)) + ")");
                    ok = false;
                }
                else if (found.ContainsKey(architecture))
                {
                    _diagnostics.Report(Descriptors.DuplicateName, property.NameSpan, "field", property.Name);
                    ok = false;
                }
                else
                {
                    found[architecture] = property.Value;
                }
            }

            foreach (Architecture architecture in Declared.Where(a => !found.ContainsKey(a)))
            {
                _diagnostics.Report(Descriptors.MissingArchitecture, obj.Span, absent(architecture));
                ok = false;
            }

            return ok ? Declared.Select(a => new KeyValuePair<Architecture, JsonNode>(a, found[a])).ToList() : null;
        }

        /// <summary>"on aarch64" for a table of several architectures; nothing for an x86_64-only table, whose messages predate architectures.</summary>
        public string On(Architecture architecture) => IsMultiple ? " on " + architecture.Name : string.Empty;

        private static Architecture? Known(string name, TableSpan where, string context, BindingDiagnostics diagnostics)
        {
            Architecture? architecture = Architecture.All.FirstOrDefault(a => a.Name == name);
            if (architecture is null)
            {
                string hint = name switch
                {
                    "arm64" => " (Linux calls arm64 \"aarch64\", as uname -m prints it)",
                    "amd64" or "x64" or "x86-64" => " (Linux calls it \"x86_64\", as uname -m prints it)",
                    _ => string.Empty,
                };
                diagnostics.Report(
                    Descriptors.UnknownArchitecture,
                    where,
                    "Unknown architecture '" + name + "' " + context + "; expected " + string.Join(" or ", Architecture.All.Select(a => "\"" + a.Name + "\"")) + hint);
            }

            return architecture;
        }
    }
}
