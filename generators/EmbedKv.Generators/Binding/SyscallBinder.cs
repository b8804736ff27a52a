using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;
using EmbedKv.Generators.Diagnostics;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Binds the table's <c>syscalls</c>, each to one stub and one typed method. Names must be unique
    /// across the table and numbers across each architecture, every call must say its number on each
    /// of the table's architectures (or that the architecture lacks it), and all stubs must fit one page.
    /// </summary>
    internal sealed class SyscallBinder
    {
        /// <summary>x86_64 syscall numbers run below 512; 512 and up are the x32 ABI's.</summary>
        private const int MaxX86_64Number = 511;

        /// <summary>
        /// The generic table arm64 uses ends below 500 (__NR_syscalls is 451 in Linux 6.1); the bound
        /// leaves room for its growth and still catches a digit too many.
        /// </summary>
        private const int MaxAarch64Number = 1023;

        /// <summary>How <c>numbers</c> says that an architecture's table has no such call.</summary>
        private const string Missing = "missing";

        private readonly HashSet<string> _structNames;
        private readonly Dictionary<string, ConstantGroupModel> _groups = new Dictionary<string, ConstantGroupModel>();
        private readonly MemberNames _members;
        private readonly PerArchitecture _architectures;
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<string> _names = new HashSet<string>();
        private readonly Dictionary<KeyValuePair<Architecture, long>, string> _nameByNumber = new Dictionary<KeyValuePair<Architecture, long>, string>();

        /// <summary>Arguments may point to the table's structs and draw on its constant groups, so those are bound first.</summary>
        public SyscallBinder(List<StructModel> structs, List<ConstantGroupModel> groups, MemberNames members, PerArchitecture architectures, BindingDiagnostics diagnostics)
        {
            _architectures = architectures;
            _structNames = new HashSet<string>(structs.Select(s => s.Name));
            foreach (ConstantGroupModel group in groups)
            {
                _groups[group.Name] = group;
            }

            _members = members;
            _diagnostics = diagnostics;
        }

        public List<SyscallModel> BindAll(JsonArray? array)
        {
            List<SyscallModel> result = EntryList.Bind(array, (node, i) => Bind(node, EntryPath.Root.Item("syscalls", i)));
            if (array is not null && result.Count * StubLayout.StubSize > StubLayout.PageSize)
            {
                _diagnostics.Report(
                    Descriptors.PageOverflow,
                    array.Span,
                    result.Count.ToString(CultureInfo.InvariantCulture),
                    (result.Count * StubLayout.StubSize).ToString(CultureInfo.InvariantCulture),
                    StubLayout.PageSize.ToString(CultureInfo.InvariantCulture));
            }

            return result;
        }

        private SyscallModel? Bind(JsonNode node, EntryPath path)
        {
            EntryFields? entry = EntryFields.Open(node, path.ToString(), "name", name => name is null ? path.ToString() : "syscall '" + name + "'", _diagnostics);
            if (entry is null)
            {
                return null;
            }

            string? name = entry.Name;
            List<ArchitectureNumber>? numbers = BindNumbers(entry, name);
            bool? blocking = entry.RequiredBool("blocking");
            string? man = entry.RequiredString("man");
            JsonArray? args = entry.RequiredArray("args");

            bool nameOk = name is not null && CheckName(name, entry);
            if (nameOk && !_names.Add(name!))
            {
                entry.ReportAt("name", Descriptors.DuplicateName, "syscall", name!);
                nameOk = false;
            }

            if (man is not null && !man.StartsWith("https://", System.StringComparison.Ordinal) && !man.StartsWith("http://", System.StringComparison.Ordinal))
            {
                entry.Invalid("man", "'man' of " + entry.Owner + " must be an http(s) link, not \"" + man + "\"");
            }

            // Arguments are bound even when the syscall is bad, so their own errors show in the same build.
            List<ArgumentModel> arguments = new ArgumentBinder(entry.Owner, name ?? "?", _structNames, _groups, _diagnostics).BindAll(args);
            if (!nameOk || numbers is null || blocking is null || man is null || args is null)
            {
                return null;
            }

            string methodName = PascalCase(name!);
            _members.Claim(methodName, "method", entry);
            return new SyscallModel(name!, methodName, numbers.ToEquatableArray(), blocking.Value, man, arguments.ToEquatableArray());
        }

        /// <summary>Kernel syscall names are lower-case letters, digits and underscores.</summary>
        private static bool CheckName(string name, EntryFields entry)
        {
            bool ok = name.Length > 0 && name[0] >= 'a' && name[0] <= 'z'
                && name.All(c => (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
            if (!ok)
            {
                entry.Invalid("name", "Syscall name '" + name + "' must be lower-case letters, digits and '_', starting with a letter");
            }

            return ok;
        }

        /// <summary>
        /// The call's number on each of the table's architectures, null where it is missing, from
        /// <c>numbers</c> or from the old <c>number</c>, which gives the x86_64 number alone.
        /// Null after reporting.
        /// </summary>
        private List<ArchitectureNumber>? BindNumbers(EntryFields entry, string? name)
        {
            JsonNode? old = entry.Find("number");
            JsonNode? perArchitecture = entry.Find("numbers");
            if (old is not null && perArchitecture is not null)
            {
                entry.Invalid("numbers", entry.Owner + " has both 'number' and 'numbers'; keep 'numbers' ('number' is the older, x86_64-only form)");
                return null;
            }

            if (old is null && perArchitecture is null)
            {
                entry.Report(Descriptors.MissingField, entry.Owner, "numbers");
                return null;
            }

            List<KeyValuePair<Architecture, JsonNode>>? nodes;
            if (old is not null)
            {
                if (entry.RequiredInteger("number") is null)
                {
                    return null;
                }

                // The old form predates architectures; in a table that declares more, each other one is unaccounted for.
                foreach (Architecture other in _architectures.Declared.Where(a => a != Architecture.X86_64))
                {
                    entry.ReportAt(
                        "number",
                        Descriptors.MissingArchitecture,
                        entry.Owner + " has no number for " + other.Name + ": 'number' gives the x86_64 number only; write 'numbers' with one for each of the table's architectures, or \"" + other.Name + "\": \"missing\"");
                }

                nodes = new List<KeyValuePair<Architecture, JsonNode>> { new KeyValuePair<Architecture, JsonNode>(Architecture.X86_64, old) };
                if (_architectures.IsMultiple)
                {
                    return null;
                }
            }
            else
            {
                nodes = _architectures.Spread(
                    perArchitecture!,
                    "'numbers' of " + entry.Owner,
                    sharedAllowed: false,
                    a => entry.Owner + " has no number for " + a.Name + ": give its number there, or \"" + a.Name + "\": \"missing\" if " + a.Name + "'s syscall table lacks the call");
            }

            if (nodes is null)
            {
                return null;
            }

            var numbers = new List<ArchitectureNumber>();
            bool ok = true;
            foreach (KeyValuePair<Architecture, JsonNode> pair in nodes)
            {
                Architecture architecture = pair.Key;
                switch (pair.Value)
                {
                    case JsonString { Value: Missing }:
                        numbers.Add(new ArchitectureNumber(architecture, null));
                        break;
                    case JsonNumber number when long.TryParse(number.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value):
                        ok &= CheckNumber(architecture, value, name, entry, number.Span);
                        numbers.Add(new ArchitectureNumber(architecture, (int)value));
                        break;
                    default:
                        string actual = pair.Value switch
                        {
                            JsonNumber n => "the number " + n.Text,
                            JsonString s => "\"" + s.Value + "\"",
                            _ => pair.Value.KindName,
                        };
                        _diagnostics.Report(
                            Descriptors.InvalidValue,
                            pair.Value.Span,
                            "The " + architecture.Name + " number of " + entry.Owner + " must be an integer or \"missing\", not " + actual);
                        ok = false;
                        break;
                }
            }

            return ok ? numbers : null;
        }

        private bool CheckNumber(Architecture architecture, long number, string? name, EntryFields entry, TableSpan where)
        {
            string text = number.ToString(CultureInfo.InvariantCulture);
            if (architecture == Architecture.X86_64 && (number < 0 || number > MaxX86_64Number))
            {
                _diagnostics.Report(
                    Descriptors.NumberOutOfRange,
                    where,
                    "Syscall number " + text + " of " + entry.Owner + _architectures.On(architecture) + " is out of range 0.." + MaxX86_64Number + " (numbers from 512 belong to the x32 ABI)");
                return false;
            }

            if (architecture == Architecture.Aarch64 && (number < 0 || number > MaxAarch64Number))
            {
                _diagnostics.Report(
                    Descriptors.NumberOutOfRange,
                    where,
                    "Syscall number " + text + " of " + entry.Owner + " on aarch64 is out of range 0.." + MaxAarch64Number);
                return false;
            }

            var key = new KeyValuePair<Architecture, long>(architecture, number);
            if (_nameByNumber.TryGetValue(key, out string? other))
            {
                _diagnostics.Report(Descriptors.DuplicateNumber, where, name ?? "?", text + _architectures.On(architecture), other);
                return false;
            }

            _nameByNumber[key] = name ?? "?";
            return true;
        }

        /// <summary>epoll_wait → EpollWait, accept4 → Accept4.</summary>
        private static string PascalCase(string name)
        {
            var builder = new StringBuilder(name.Length);
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
