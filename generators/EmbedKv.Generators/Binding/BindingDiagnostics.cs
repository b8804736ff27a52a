using System.Collections.Generic;
using EmbedKv.Generators.Model;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Binding
{
    /// <summary>
    /// The diagnostics of one bind, in the order the binders meet them, which is the order the
    /// compiler lists them. Binders report and go on, so one build names every problem of a table.
    /// </summary>
    internal sealed class BindingDiagnostics
    {
        private readonly List<DiagnosticInfo> _items = new List<DiagnosticInfo>();

        public void Report(DiagnosticDescriptor descriptor, TableSpan where, params string[] arguments)
            => _items.Add(DiagnosticInfo.Create(descriptor, where, arguments));

        /// <summary>The model only if nothing was reported: a table with any error generates no code at all.</summary>
        public GenerationResult Result(TableModel? table)
            => new GenerationResult(_items.Count > 0 ? null : table, _items.ToEquatableArray());
    }
}
