using System;
using System.Collections.Generic;
using System.Linq;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>
    /// What the emitters share when the table describes aarch64 too: whether a value differs between the
    /// architectures, and the run-time test that picks aarch64's. One C# member serves every architecture,
    /// so a value that differs is chosen at start by <see cref="IsAarch64"/>, never at compile time.
    /// </summary>
    internal static class ArchitectureChoice
    {
        /// <summary>The runtime's answer to "is this process aarch64?", as generated code writes it.</summary>
        public const string IsAarch64 = "global::EmbedKv.Runtime.Interop.StubPage.IsAarch64";

        /// <summary>Whether the table describes aarch64 and <paramref name="value"/> there is not x86_64's.</summary>
        public static bool Differs<T>(TableModel table, Func<Architecture, T> value)
            => table.Architectures.Contains(Architecture.Aarch64)
               && !EqualityComparer<T>.Default.Equals(value(Architecture.Aarch64), value(Architecture.X86_64));
    }
}
