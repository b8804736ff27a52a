using System.Globalization;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// Where an entry stands in the table, written the way a reader finds it ("syscalls[3]",
    /// "syscalls[3].args[1]"): messages name an entry by its place until its name is known.
    /// </summary>
    internal readonly struct EntryPath
    {
        private readonly string? _text;

        private EntryPath(string text) => _text = text;

        /// <summary>The table itself; its fields' items are named from here.</summary>
        public static EntryPath Root => default;

        /// <summary>The item at <paramref name="index"/> of this entry's array field <paramref name="array"/>.</summary>
        public EntryPath Item(string array, int index)
            => new EntryPath((string.IsNullOrEmpty(_text) ? string.Empty : _text + ".") + array + "[" + index.ToString(CultureInfo.InvariantCulture) + "]");

        public override string ToString() => _text ?? string.Empty;
    }
}
