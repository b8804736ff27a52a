using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EmbedKv.Generators.Model
{
    /// <summary>
    /// Where something stands in syscalls.json. Kept instead of a <see cref="Location"/>, which is
    /// not equatable across compilations and would make every pipeline step look changed.
    /// </summary>
    internal readonly record struct TableSpan(string Path, TextSpan Span, LinePositionSpan Lines)
    {
        public Location ToLocation() => Location.Create(Path, Span, Lines);
    }
}
