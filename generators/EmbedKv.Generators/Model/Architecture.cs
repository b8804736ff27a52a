using System.Collections.Generic;

namespace EmbedKv.Generators.Model
{
    /// <summary>
    /// A Linux architecture a table can describe, named as <c>uname -m</c> names it, which is how
    /// syscalls.json spells it. A record, not an enum, so that lists of them stay equatable.
    /// </summary>
    internal sealed record Architecture(string Name)
    {
        public static readonly Architecture X86_64 = new Architecture("x86_64");

        public static readonly Architecture Aarch64 = new Architecture("aarch64");

        /// <summary>Every architecture a table may name, in the order the docs list them.</summary>
        public static IReadOnlyList<Architecture> All { get; } = new[] { X86_64, Aarch64 };

        public override string ToString() => Name;
    }

    /// <summary>
    /// One architecture's syscall number; <paramref name="Number"/> is null where the table says the
    /// architecture lacks the call, which then gets no stub there.
    /// </summary>
    internal sealed record ArchitectureNumber(Architecture Architecture, int? Number);

    /// <summary>One architecture's value of a constant; <paramref name="Literal"/> is its C# literal text.</summary>
    internal sealed record ConstantValueModel(Architecture Architecture, string Literal, long Value);

    /// <summary>One architecture's layout of a struct: its packing (0 for natural) and fields in order.</summary>
    internal sealed record StructLayoutModel(Architecture Architecture, int Pack, EquatableArray<FieldModel> Fields);
}
