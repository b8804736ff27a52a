using System.Collections.Generic;
using System.Linq;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;
using Microsoft.CodeAnalysis.CSharp;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Turns the JSON tree of syscalls.json into a validated <see cref="TableModel"/>. It binds the
    /// table's own fields and hands each list to the binder of its entry kind, structs and constants
    /// first, since syscall arguments refer to them. Every problem becomes a diagnostic at the
    /// offending entry; if there is any, there is no model.
    /// </summary>
    internal static class TableBinder
    {
        public static GenerationResult Bind(JsonNode root, string? rootNamespace)
        {
            var diagnostics = new BindingDiagnostics();
            return diagnostics.Result(BindTable(root, rootNamespace, diagnostics));
        }

        private static TableModel? BindTable(JsonNode rootNode, string? rootNamespace, BindingDiagnostics diagnostics)
        {
            EntryFields? root = EntryFields.Open(rootNode, "syscalls.json", diagnostics)?.Named("the table");
            if (root is null)
            {
                return null;
            }

            long? version = root.RequiredInteger("version");
            if (version is < 1 or > int.MaxValue)
            {
                root.ReportAt("version", Descriptors.NumberOutOfRange, "Table version " + version + " must be at least 1");
            }

            string ns = root.OptionalString("namespace") ?? rootNamespace ?? "Syscalls";
            if (!IsQualifiedName(ns))
            {
                root.Invalid("namespace", "'" + ns + "' is not a valid namespace");
            }

            string className = root.OptionalString("class") ?? "Sys";
            root.CheckIdentifier(className, "class");

            string visibility = root.OptionalString("visibility") ?? "internal";
            if (visibility != "public" && visibility != "internal")
            {
                root.Invalid("visibility", "'visibility' must be \"public\" or \"internal\", not \"" + visibility + "\"");
            }

            StubReturn stubReturn = BindStubReturn(root);
            PerArchitecture architectures = PerArchitecture.Bind(root, diagnostics);
            List<StructModel> structs = new StructBinder(className, architectures, diagnostics).BindAll(root.OptionalArray("structs"));
            var members = new MemberNames(className);
            List<ConstantGroupModel> groups = new ConstantGroupBinder(members, architectures, diagnostics).BindAll(root.OptionalArray("constants"));
            List<SyscallModel> syscalls = new SyscallBinder(structs, groups, members, architectures, diagnostics).BindAll(root.RequiredArray("syscalls"));

            return new TableModel(
                (int)(version ?? 0),
                architectures.Declared.ToEquatableArray(),
                ns,
                className,
                visibility == "public",
                stubReturn,
                structs.ToEquatableArray(),
                groups.ToEquatableArray(),
                syscalls.ToEquatableArray());
        }

        /// <summary>
        /// The optional <c>stubReturn</c>: <c>"ret"</c> (the default) or <c>"jump"</c>. Anything else,
        /// of any JSON kind, is EKV011, so a typo never silently falls back to the default.
        /// </summary>
        private static StubReturn BindStubReturn(EntryFields root)
        {
            JsonNode? node = root.Find("stubReturn");
            switch (node)
            {
                case null:
                case JsonString { Value: "ret" }:
                    return StubReturn.Ret;
                case JsonString { Value: "jump" }:
                    return StubReturn.Jump;
            }

            string actual = node switch
            {
                JsonString text => "\"" + text.Value + "\"",
                JsonNumber number => "the number " + number.Text,
                _ => node.KindName,
            };
            root.ReportAt("stubReturn", Descriptors.InvalidStubReturn, actual);
            return StubReturn.Ret;
        }

        private static bool IsQualifiedName(string name)
            => name.Length > 0 && name.Split('.').All(SyntaxFacts.IsValidIdentifier);
    }
}
