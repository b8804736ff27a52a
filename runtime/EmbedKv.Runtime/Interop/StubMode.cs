// Whether the stubs or the libc fallback run, for diagnostics and tests to ask.
namespace EmbedKv.Runtime.Interop
{
    /// <summary>How the process makes system calls.</summary>
    internal enum StubMode
    {
        /// <summary>Through the generated machine-code stubs (the normal case).</summary>
        MachineCode,

        /// <summary>Through libc's <c>syscall()</c>, because the system forbids executable memory or it was forced.</summary>
        LibcFallback,
    }
}
