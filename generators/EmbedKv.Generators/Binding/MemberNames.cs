using System.Collections.Generic;
using EmbedKv.Generators.Diagnostics;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// The member names of the one generated class. Constants and syscall methods all land in it,
    /// so two entries that would yield the same member are a table error, not a C# compile error
    /// in generated code the user never wrote.
    /// </summary>
    internal sealed class MemberNames
    {
        /// <summary>Members the emitters write into every generated class.</summary>
        private static readonly string[] Reserved = { "TableVersion", "ErrnoName", "ErrnoMessage", "StubCode", "s_page" };

        private readonly HashSet<string> _names;

        /// <summary>C# forbids a member named like its class, so the class name is taken from the start.</summary>
        public MemberNames(string className) => _names = new HashSet<string>(Reserved) { className };

        /// <summary>Takes the name for the entry, or reports EKV005 at the entry's name if it is taken.</summary>
        public void Claim(string name, string kind, EntryFields entry)
        {
            if (!_names.Add(name))
            {
                entry.ReportAt("name", Descriptors.DuplicateName, kind, name);
            }
        }
    }
}
