using System.Linq;
using EmbedKv.Generators.Diagnostics;
using Microsoft.CodeAnalysis;

namespace EmbedKv.Generators.Model
{
    /// <summary>An equatable stand-in for a <see cref="Diagnostic"/>, made real only when reported.</summary>
    internal sealed record DiagnosticInfo(string Id, TableSpan Where, EquatableArray<string> Arguments)
    {
        public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, TableSpan where, params string[] arguments)
            => new DiagnosticInfo(descriptor.Id, where, arguments.ToEquatableArray());

        public Diagnostic ToDiagnostic()
            => Diagnostic.Create(
                Descriptors.ById(Id),
                Where.ToLocation(),
                Arguments.Cast<object>().ToArray());
    }
}
