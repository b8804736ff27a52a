namespace EmbedKv.Generators.Model
{
    /// <summary>
    /// What binding one syscalls.json produced: a model, or the diagnostics that explain why not.
    /// A table with any error has no model, so no half-generated code can follow from it.
    /// </summary>
    internal sealed record GenerationResult(TableModel? Table, EquatableArray<DiagnosticInfo> Diagnostics);

    /// <summary>One generated file.</summary>
    internal sealed record GeneratedFile(string HintName, string Text);
}
