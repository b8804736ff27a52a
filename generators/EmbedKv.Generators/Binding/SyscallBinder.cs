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
    /// Binds the table's <c>syscalls</c>, each to one stub and one typed method. Names and numbers
    /// must be unique across the table, and all stubs must fit one page.
    /// </summary>
    internal sealed class SyscallBinder
    {
        /// <summary>x86_64 syscall numbers run below 512; 512 and up are the x32 ABI's.</summary>
        private const int MaxSyscallNumber = 511;

        private readonly HashSet<string> _structNames;
        private readonly Dictionary<string, ConstantGroupModel> _groups = new Dictionary<string, ConstantGroupModel>();
        private readonly MemberNames _members;
        private readonly BindingDiagnostics _diagnostics;
        private readonly HashSet<string> _names = new HashSet<string>();
        private readonly Dictionary<long, string> _nameByNumber = new Dictionary<long, string>();

        /// <summary>Arguments may point to the table's structs and draw on its constant groups, so those are bound first.</summary>
        public SyscallBinder(List<StructModel> structs, List<ConstantGroupModel> groups, MemberNames members, BindingDiagnostics diagnostics)
        {
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
            long? number = entry.RequiredInteger("number");
            bool? blocking = entry.RequiredBool("blocking");
            string? man = entry.RequiredString("man");
            JsonArray? args = entry.RequiredArray("args");

            bool nameOk = name is not null && CheckName(name, entry);
            if (nameOk && !_names.Add(name!))
            {
                entry.ReportAt("name", Descriptors.DuplicateName, "syscall", name!);
                nameOk = false;
            }

            if (number is not null)
            {
                CheckNumber(number.Value, name, entry);
            }

            if (man is not null && !man.StartsWith("https://", System.StringComparison.Ordinal) && !man.StartsWith("http://", System.StringComparison.Ordinal))
            {
                entry.Invalid("man", "'man' of " + entry.Owner + " must be an http(s) link, not \"" + man + "\"");
            }

            // Arguments are bound even when the syscall is bad, so their own errors show in the same build.
            List<ArgumentModel> arguments = new ArgumentBinder(entry.Owner, name ?? "?", _structNames, _groups, _diagnostics).BindAll(args);
            if (!nameOk || number is null || blocking is null || man is null || args is null)
            {
                return null;
            }

            string methodName = PascalCase(name!);
            _members.Claim(methodName, "method", entry);
            return new SyscallModel(name!, methodName, (int)number.Value, blocking.Value, man, arguments.ToEquatableArray());
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

        private void CheckNumber(long number, string? name, EntryFields entry)
        {
            if (number < 0 || number > MaxSyscallNumber)
            {
                entry.ReportAt(
                    "number",
                    Descriptors.NumberOutOfRange,
                    "Syscall number " + number.ToString(CultureInfo.InvariantCulture) + " of " + entry.Owner + " is out of range 0.." + MaxSyscallNumber + " (numbers from 512 belong to the x32 ABI)");
            }
            else if (_nameByNumber.TryGetValue(number, out string? other))
            {
                entry.ReportAt("number", Descriptors.DuplicateNumber, name ?? "?", number.ToString(CultureInfo.InvariantCulture), other);
            }
            else
            {
                _nameByNumber[number] = name ?? "?";
            }
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
