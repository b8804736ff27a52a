using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;
using Microsoft.CodeAnalysis.CSharp;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Turns the JSON tree of syscalls.json into a validated <see cref="TableModel"/>. Every problem
    /// becomes a diagnostic at the offending entry; if there is any, there is no model.
    /// </summary>
    internal sealed class TableBinder
    {
        /// <summary>x86_64 syscall numbers run below 512; 512 and up are the x32 ABI's.</summary>
        public const int MaxSyscallNumber = 511;

        /// <summary>Each stub gets 16 bytes, so its entry stays aligned (at most 11 bytes are code, 13 with the jump ending).</summary>
        public const int StubSize = 16;

        public const int PageSize = 4096;

        private static readonly string[] ReservedMembers = { "TableVersion", "ErrnoName", "ErrnoMessage", "StubCode", "s_page" };

        private readonly List<DiagnosticInfo> _diagnostics = new List<DiagnosticInfo>();
        private readonly JsonFields _fields;
        private readonly HashSet<string> _memberNames = new HashSet<string>();

        private TableBinder() => _fields = new JsonFields(_diagnostics);

        public static GenerationResult Bind(JsonNode root, string? rootNamespace)
        {
            var binder = new TableBinder();
            TableModel? table = binder.BindTable(root, rootNamespace);
            bool failed = binder._diagnostics.Count > 0;
            return new GenerationResult(failed ? null : table, binder._diagnostics.ToEquatableArray());
        }

        private TableModel? BindTable(JsonNode rootNode, string? rootNamespace)
        {
            const string owner = "the table";
            JsonObject? root = _fields.AsObject(rootNode, "syscalls.json");
            if (root is null)
            {
                return null;
            }

            _fields.CheckDuplicateFields(root);
            long? version = _fields.RequiredInteger(root, "version", owner);
            if (version is < 1 or > int.MaxValue)
            {
                _fields.Report(Descriptors.NumberOutOfRange, root.Find("version")!.Value.Span, "Table version " + version + " must be at least 1");
            }

            string ns = _fields.OptionalString(root, "namespace", owner) ?? rootNamespace ?? "Syscalls";
            if (!IsQualifiedName(ns))
            {
                ReportInvalid(root, "namespace", "'" + ns + "' is not a valid namespace");
            }

            string className = _fields.OptionalString(root, "class", owner) ?? "Sys";
            CheckIdentifier(className, root, "class");
            _memberNames.Add(className);
            foreach (string reserved in ReservedMembers)
            {
                _memberNames.Add(reserved);
            }

            string visibility = _fields.OptionalString(root, "visibility", owner) ?? "internal";
            if (visibility != "public" && visibility != "internal")
            {
                ReportInvalid(root, "visibility", "'visibility' must be \"public\" or \"internal\", not \"" + visibility + "\"");
            }

            StubReturn stubReturn = BindStubReturn(root);
            List<StructModel> structs = BindStructs(_fields.OptionalArray(root, "structs", owner), className);
            List<ConstantGroupModel> groups = BindConstantGroups(_fields.OptionalArray(root, "constants", owner));
            JsonArray? syscallArray = _fields.RequiredArray(root, "syscalls", owner);
            List<SyscallModel> syscalls = BindSyscalls(syscallArray, structs, groups);

            if (syscallArray is not null && syscalls.Count * StubSize > PageSize)
            {
                _fields.Report(
                    Descriptors.PageOverflow,
                    syscallArray.Span,
                    syscalls.Count.ToString(CultureInfo.InvariantCulture),
                    (syscalls.Count * StubSize).ToString(CultureInfo.InvariantCulture),
                    PageSize.ToString(CultureInfo.InvariantCulture));
            }

            return new TableModel(
                (int)(version ?? 0),
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
        private StubReturn BindStubReturn(JsonObject root)
        {
            JsonNode? node = root.Find("stubReturn")?.Value;
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
            _fields.Report(Descriptors.InvalidStubReturn, node.Span, actual);
            return StubReturn.Ret;
        }

        private List<StructModel> BindStructs(JsonArray? array, string className)
        {
            var result = new List<StructModel>();
            var names = new HashSet<string> { className };
            foreach (JsonNode node in array?.Items ?? new JsonNode[0])
            {
                JsonObject? obj = _fields.AsObject(node, "a struct");
                if (obj is null)
                {
                    continue;
                }

                _fields.CheckDuplicateFields(obj);
                string? name = _fields.RequiredString(obj, "name", "a struct");
                string owner = name is null ? "a struct" : "struct '" + name + "'";
                if (name is not null && CheckIdentifier(name, obj, "name") && !names.Add(name))
                {
                    _fields.Report(Descriptors.DuplicateName, obj.Span, "struct", name);
                }

                long pack = _fields.OptionalInteger(obj, "pack", owner) ?? 0;
                if (pack is not (0 or 1 or 2 or 4 or 8 or 16))
                {
                    ReportInvalid(obj, "pack", "'pack' of " + owner + " must be 0, 1, 2, 4, 8 or 16");
                }

                var fields = new List<FieldModel>();
                var fieldNames = new HashSet<string>();
                foreach (JsonNode fieldNode in _fields.RequiredArray(obj, "fields", owner)?.Items ?? new JsonNode[0])
                {
                    FieldModel? field = BindField(fieldNode, owner, fieldNames);
                    if (field is not null)
                    {
                        fields.Add(field);
                    }
                }

                if (name is not null)
                {
                    result.Add(new StructModel(name, _fields.OptionalString(obj, "c", owner), (int)pack, fields.ToEquatableArray()));
                }
            }

            return result;
        }

        private FieldModel? BindField(JsonNode node, string owner, HashSet<string> fieldNames)
        {
            JsonObject? obj = _fields.AsObject(node, "a field of " + owner);
            if (obj is null)
            {
                return null;
            }

            _fields.CheckDuplicateFields(obj);
            string? name = _fields.RequiredString(obj, "name", "a field of " + owner);
            string fieldOwner = "field '" + name + "' of " + owner;
            string? type = _fields.RequiredString(obj, "type", fieldOwner);
            if (name is null || type is null || !CheckIdentifier(name, obj, "name"))
            {
                return null;
            }

            if (!fieldNames.Add(name))
            {
                _fields.Report(Descriptors.DuplicateName, obj.Span, "field", name);
            }

            if (!TypeNames.TryField(type, out string element, out int length))
            {
                _fields.Report(Descriptors.UnknownType, obj.Find("type")!.Value.Span, type, fieldOwner, TypeNames.FieldTypesText);
                return null;
            }

            return new FieldModel(name, _fields.OptionalString(obj, "c", fieldOwner), element, length);
        }

        private List<ConstantGroupModel> BindConstantGroups(JsonArray? array)
        {
            var result = new List<ConstantGroupModel>();
            var groupNames = new HashSet<string>();
            bool sawErrno = false;
            foreach (JsonNode node in array?.Items ?? new JsonNode[0])
            {
                JsonObject? obj = _fields.AsObject(node, "a constant group");
                if (obj is null)
                {
                    continue;
                }

                _fields.CheckDuplicateFields(obj);
                string? name = _fields.RequiredString(obj, "group", "a constant group");
                string owner = name is null ? "a constant group" : "constant group '" + name + "'";
                if (name is not null && CheckIdentifier(name, obj, "group") && !groupNames.Add(name))
                {
                    _fields.Report(Descriptors.DuplicateName, obj.Span, "constant group", name);
                }

                string? type = _fields.RequiredString(obj, "type", owner);
                if (type is not null && !TypeNames.IsConstantType(type))
                {
                    _fields.Report(Descriptors.UnknownType, obj.Find("type")!.Value.Span, type, owner, TypeNames.ConstantTypesText);
                    type = null;
                }

                bool isErrno = obj.Find("errno")?.Value is JsonLiteral { Value: true };
                if (isErrno && sawErrno)
                {
                    _fields.Report(Descriptors.DuplicateName, obj.Span, "errno group", name ?? "?");
                }

                sawErrno |= isErrno;
                var constants = new List<ConstantModel>();
                var errnoValues = new HashSet<long>();
                foreach (JsonNode valueNode in _fields.RequiredArray(obj, "values", owner)?.Items ?? new JsonNode[0])
                {
                    ConstantModel? constant = BindConstant(valueNode, owner, type, isErrno);
                    if (constant is null)
                    {
                        continue;
                    }

                    if (isErrno && !errnoValues.Add(constant.Value))
                    {
                        _fields.Report(Descriptors.DuplicateName, valueNode.Span, "errno value", constant.Value.ToString(CultureInfo.InvariantCulture));
                    }

                    constants.Add(constant);
                }

                if (name is not null && type is not null)
                {
                    result.Add(new ConstantGroupModel(name, type, isErrno, constants.ToEquatableArray()));
                }
            }

            return result;
        }

        private ConstantModel? BindConstant(JsonNode node, string groupOwner, string? type, bool isErrno)
        {
            JsonObject? obj = _fields.AsObject(node, "a constant of " + groupOwner);
            if (obj is null)
            {
                return null;
            }

            _fields.CheckDuplicateFields(obj);
            string? name = _fields.RequiredString(obj, "name", "a constant of " + groupOwner);
            string owner = "constant '" + name + "'";
            JsonNode? valueNode = _fields.Required(obj, "value", owner);
            string? message = isErrno ? _fields.RequiredString(obj, "message", owner) : _fields.OptionalString(obj, "message", owner);
            if (name is null || valueNode is null || !CheckIdentifier(name, obj, "name"))
            {
                return null;
            }

            ClaimMemberName(name, "constant", obj);
            string? raw = valueNode switch
            {
                JsonNumber number => number.Text,
                JsonString text => text.Value,
                _ => null,
            };
            if (raw is null || !ConstantValue.TryParse(raw, valueNode is JsonString, out bool negative, out ulong magnitude, out int radix))
            {
                string actual = raw is null ? valueNode.KindName : "\"" + raw + "\"";
                _fields.Report(
                    Descriptors.InvalidValue,
                    valueNode.Span,
                    "'value' of " + owner + " must be an integer or a \"0x…\" or \"0o…\" string, not " + actual);
                return null;
            }

            if (type is null)
            {
                return null;
            }

            long value = ConstantValue.AsInt64(negative, magnitude);
            if (!ConstantValue.Fits(type, negative, magnitude) || (isErrno && (negative || magnitude < 1 || magnitude > 4095)))
            {
                string range = isErrno ? "an errno value (1..4095)" : type;
                _fields.Report(Descriptors.NumberOutOfRange, valueNode.Span, "Constant '" + name + "' = " + raw + " does not fit " + range);
                return null;
            }

            return new ConstantModel(name, ConstantValue.Literal(negative, magnitude, radix), value, message);
        }

        private List<SyscallModel> BindSyscalls(JsonArray? array, List<StructModel> structs, List<ConstantGroupModel> groups)
        {
            var result = new List<SyscallModel>();
            var structNames = new HashSet<string>(structs.Select(s => s.Name));
            var groupsByName = new Dictionary<string, ConstantGroupModel>();
            foreach (ConstantGroupModel group in groups)
            {
                groupsByName[group.Name] = group;
            }

            var byName = new HashSet<string>();
            var byNumber = new Dictionary<long, string>();
            for (int i = 0; i < (array?.Items.Count ?? 0); i++)
            {
                JsonNode node = array!.Items[i];
                JsonObject? obj = _fields.AsObject(node, "syscalls[" + i.ToString(CultureInfo.InvariantCulture) + "]");
                if (obj is null)
                {
                    continue;
                }

                _fields.CheckDuplicateFields(obj);
                string? name = _fields.RequiredString(obj, "name", "syscalls[" + i.ToString(CultureInfo.InvariantCulture) + "]");
                string owner = name is null ? "syscalls[" + i.ToString(CultureInfo.InvariantCulture) + "]" : "syscall '" + name + "'";
                long? number = _fields.RequiredInteger(obj, "number", owner);
                bool? blocking = _fields.RequiredBool(obj, "blocking", owner);
                string? man = _fields.RequiredString(obj, "man", owner);
                JsonArray? args = _fields.RequiredArray(obj, "args", owner);

                bool nameOk = name is not null && CheckSyscallName(name, obj);
                if (nameOk && !byName.Add(name!))
                {
                    _fields.Report(Descriptors.DuplicateName, obj.Find("name")!.Value.Span, "syscall", name!);
                    nameOk = false;
                }

                if (number is not null)
                {
                    TableSpan numberSpan = obj.Find("number")!.Value.Span;
                    if (number < 0 || number > MaxSyscallNumber)
                    {
                        _fields.Report(
                            Descriptors.NumberOutOfRange,
                            numberSpan,
                            "Syscall number " + number.Value.ToString(CultureInfo.InvariantCulture) + " of " + owner + " is out of range 0.." + MaxSyscallNumber + " (numbers from 512 belong to the x32 ABI)");
                    }
                    else if (byNumber.TryGetValue(number.Value, out string? other))
                    {
                        _fields.Report(Descriptors.DuplicateNumber, numberSpan, name ?? "?", number.Value.ToString(CultureInfo.InvariantCulture), other);
                    }
                    else
                    {
                        byNumber[number.Value] = name ?? "?";
                    }
                }

                if (man is not null && !man.StartsWith("https://", System.StringComparison.Ordinal) && !man.StartsWith("http://", System.StringComparison.Ordinal))
                {
                    ReportInvalid(obj, "man", "'man' of " + owner + " must be an http(s) link, not \"" + man + "\"");
                }

                List<ArgumentModel> arguments = BindArguments(args, owner, name ?? "?", structNames, groupsByName);
                if (!nameOk || number is null || blocking is null || man is null || args is null)
                {
                    continue;
                }

                string methodName = PascalCase(name!);
                ClaimMemberName(methodName, "method", obj);
                result.Add(new SyscallModel(name!, methodName, (int)number.Value, blocking.Value, man, arguments.ToEquatableArray()));
            }

            return result;
        }

        private List<ArgumentModel> BindArguments(
            JsonArray? args,
            string owner,
            string syscallName,
            HashSet<string> structNames,
            Dictionary<string, ConstantGroupModel> groups)
        {
            var result = new List<ArgumentModel>();
            if (args is null)
            {
                return result;
            }

            if (args.Items.Count > 6)
            {
                _fields.Report(Descriptors.TooManyArguments, args.Span, syscallName, args.Items.Count.ToString(CultureInfo.InvariantCulture));
            }

            var names = new HashSet<string>();
            foreach (JsonNode node in args.Items)
            {
                JsonObject? obj = _fields.AsObject(node, "an argument of " + owner);
                if (obj is null)
                {
                    continue;
                }

                _fields.CheckDuplicateFields(obj);
                string? name = _fields.RequiredString(obj, "name", "an argument of " + owner);
                string argOwner = "argument '" + name + "' of " + owner;
                string? type = _fields.RequiredString(obj, "type", argOwner);
                string? groupName = _fields.OptionalString(obj, "constants", argOwner);
                if (name is null || type is null || !CheckIdentifier(name, obj, "name"))
                {
                    continue;
                }

                if (!names.Add(name))
                {
                    _fields.Report(Descriptors.DuplicateName, obj.Find("name")!.Value.Span, "argument", name);
                }

                if (!TypeNames.TryArgument(type, structNames, out ArgumentConversion conversion))
                {
                    _fields.Report(Descriptors.UnknownType, obj.Find("type")!.Value.Span, type, argOwner, TypeNames.ArgumentTypesText);
                    continue;
                }

                EquatableArray<string> constantNames = EquatableArray<string>.Empty;
                if (groupName is not null)
                {
                    if (groups.TryGetValue(groupName, out ConstantGroupModel? group))
                    {
                        constantNames = group.Constants.Select(c => c.Name).ToEquatableArray();
                    }
                    else
                    {
                        _fields.Report(Descriptors.UnknownConstantGroup, obj.Find("constants")!.Value.Span, name, syscallName, groupName);
                    }
                }

                result.Add(new ArgumentModel(name, type, conversion, groupName, constantNames));
            }

            return result;
        }

        /// <summary>Generated members share one class; two entries must not produce the same member name.</summary>
        private void ClaimMemberName(string name, string kind, JsonObject where)
        {
            if (!_memberNames.Add(name))
            {
                _fields.Report(Descriptors.DuplicateName, where.Find("name")!.Value.Span, kind, name);
            }
        }

        private bool CheckIdentifier(string name, JsonObject where, string field)
        {
            if (SyntaxFacts.IsValidIdentifier(name))
            {
                return true;
            }

            ReportInvalid(where, field, "'" + name + "' is not a valid C# identifier");
            return false;
        }

        /// <summary>Kernel syscall names are lower-case letters, digits and underscores.</summary>
        private bool CheckSyscallName(string name, JsonObject where)
        {
            bool ok = name.Length > 0 && name[0] >= 'a' && name[0] <= 'z'
                && name.All(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
            if (!ok)
            {
                ReportInvalid(where, "name", "Syscall name '" + name + "' must be lower-case letters, digits and '_', starting with a letter");
            }

            return ok;
        }

        private void ReportInvalid(JsonObject where, string field, string message)
            => _fields.Report(Descriptors.InvalidValue, where.Find(field)?.Value.Span ?? where.Span, message);

        private static bool IsQualifiedName(string name)
            => name.Length > 0 && name.Split('.').All(SyntaxFacts.IsValidIdentifier);

        /// <summary>epoll_wait → EpollWait, accept4 → Accept4.</summary>
        internal static string PascalCase(string name)
        {
            var builder = new System.Text.StringBuilder(name.Length);
            bool upper = true;
            foreach (char c in name)
            {
                if (c == '_')
                {
                    upper = true;
                    continue;
                }

                builder.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }

            return builder.ToString();
        }
    }
}
