namespace EmbedKv.Generators.Model
{
    // The bound, validated form of syscalls.json: everything the emitters need and nothing
    // tied to a compilation, so the pipeline can cache it by value.

    /// <summary>
    /// The whole table, ready to emit. Every syscall, constant and struct carries an entry for each
    /// of <paramref name="Architectures"/>, in that order; x86_64 is always among them.
    /// </summary>
    internal sealed record TableModel(
        int Version,
        EquatableArray<Architecture> Architectures,
        string Namespace,
        string ClassName,
        bool IsPublic,
        StubReturn StubReturn,
        EquatableArray<StructModel> Structs,
        EquatableArray<ConstantGroupModel> ConstantGroups,
        EquatableArray<SyscallModel> Syscalls);

    /// <summary>
    /// How every stub of a table hands control back to its caller (the table's <c>stubReturn</c>).
    /// <see cref="Ret"/> is the default; <see cref="Jump"/> is an opt-in for machines where the
    /// <c>ret</c> after <c>syscall</c> mispredicts (see docs/syscalls.md, "Stub return").
    /// </summary>
    internal enum StubReturn
    {
        /// <summary><c>ret</c>: balanced with the caller's <c>call</c>, so the return stack buffer and CET shadow stacks agree.</summary>
        Ret,

        /// <summary><c>pop rcx; jmp rcx</c>: skips the return stack buffer; breaks CET shadow stacks.</summary>
        Jump,
    }

    /// <summary>One syscall: its kernel name, its number on each architecture and its typed arguments.</summary>
    internal sealed record SyscallModel(
        string Name,
        string MethodName,
        EquatableArray<ArchitectureNumber> Numbers,
        bool Blocking,
        string ManPage,
        EquatableArray<ArgumentModel> Arguments)
    {
        /// <summary>The number on <paramref name="architecture"/>, or null where the architecture lacks the call.</summary>
        public int? NumberOn(Architecture architecture)
        {
            foreach (ArchitectureNumber number in Numbers)
            {
                if (number.Architecture == architecture)
                {
                    return number.Number;
                }
            }

            return null;
        }
    }

    /// <summary>One argument. <paramref name="Type"/> is the C# type as written in the method signature.</summary>
    internal sealed record ArgumentModel(
        string Name,
        string Type,
        ArgumentConversion Conversion,
        string? ConstantGroup,
        EquatableArray<string> ConstantNames);

    /// <summary>How an argument becomes a 64-bit register value in the function-pointer call.</summary>
    internal enum ArgumentConversion
    {
        /// <summary>int, nint: sign-extended by an implicit conversion.</summary>
        Implicit,

        /// <summary>uint, long, ulong, nuint: an unchecked cast (uint zero-extends).</summary>
        Cast,

        /// <summary>A pointer: its address.</summary>
        Pointer,
    }

    /// <summary>A group of constants sharing one C# type.</summary>
    internal sealed record ConstantGroupModel(
        string Name,
        string Type,
        bool IsErrno,
        EquatableArray<ConstantModel> Constants);

    /// <summary>One constant, with its value on each architecture (the same value repeated where they agree).</summary>
    internal sealed record ConstantModel(string Name, EquatableArray<ConstantValueModel> Values, string? Message)
    {
        /// <summary>The value on <paramref name="architecture"/>; every table architecture has one.</summary>
        public ConstantValueModel On(Architecture architecture)
        {
            foreach (ConstantValueModel value in Values)
            {
                if (value.Architecture == architecture)
                {
                    return value;
                }
            }

            throw new System.ArgumentException("No value of " + Name + " on " + architecture.Name, nameof(architecture));
        }
    }

    /// <summary>A C struct some syscall points to, with its layout on each architecture.</summary>
    internal sealed record StructModel(string Name, string? CName, EquatableArray<StructLayoutModel> Layouts)
    {
        /// <summary>The layout on <paramref name="architecture"/>; every table architecture has one.</summary>
        public StructLayoutModel On(Architecture architecture)
        {
            foreach (StructLayoutModel layout in Layouts)
            {
                if (layout.Architecture == architecture)
                {
                    return layout;
                }
            }

            throw new System.ArgumentException("No layout of " + Name + " on " + architecture.Name, nameof(architecture));
        }
    }

    /// <summary>A struct field; <paramref name="ArrayLength"/> is 0 for a scalar.</summary>
    internal sealed record FieldModel(string Name, string? CName, string Type, int ArrayLength);
}
