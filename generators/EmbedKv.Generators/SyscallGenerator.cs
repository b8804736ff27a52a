using System;
using System.IO;
using System.Threading;
using EmbedKv.Generators.Binding;
using EmbedKv.Generators.Emit;
using EmbedKv.Generators.Json;
using EmbedKv.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EmbedKv.Generators
{
    /// <summary>
    /// Generates typed syscall stubs from the project's <c>syscalls.json</c> AdditionalFile.
    /// The pipeline is read → bind → emit over equatable models and never touches the
    /// Compilation, so editing C# code never re-runs it; only an edit of the table does.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed class SyscallGenerator : IIncrementalGenerator
    {
        /// <summary>The file name the generator reads among the AdditionalFiles.</summary>
        public const string TableFileName = "syscalls.json";

        /// <summary>Tracking names of the pipeline's steps, for incremental-caching tests.</summary>
        public static class Steps
        {
            /// <summary>The table's text and path, read from the AdditionalFile.</summary>
            public const string Read = nameof(Read);

            /// <summary>The bound model or its diagnostics.</summary>
            public const string Bind = nameof(Bind);

            /// <summary>The generated files.</summary>
            public const string Emit = nameof(Emit);
        }

        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValuesProvider<TableText> texts = context.AdditionalTextsProvider
                .Where(static file => string.Equals(Path.GetFileName(file.Path), TableFileName, StringComparison.OrdinalIgnoreCase))
                .Select(static (file, token) => new TableText(file.Path, file.GetText(token)?.ToString()))
                .WithTrackingName(Steps.Read);

            IncrementalValueProvider<string?> rootNamespace = context.AnalyzerConfigOptionsProvider
                .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.RootNamespace", out string? ns) && ns.Length > 0 ? ns : null);

            IncrementalValuesProvider<GenerationResult> results = texts
                .Combine(rootNamespace)
                .Select(static (input, token) => Bind(input.Left, input.Right, token))
                .WithTrackingName(Steps.Bind);

            context.RegisterSourceOutput(
                results.Select(static (result, _) => result.Diagnostics),
                static (spc, diagnostics) =>
                {
                    foreach (DiagnosticInfo diagnostic in diagnostics)
                    {
                        spc.ReportDiagnostic(diagnostic.ToDiagnostic());
                    }
                });

            IncrementalValuesProvider<EquatableArray<GeneratedFile>> files = results
                .Where(static result => result.Table is not null)
                .Select(static (result, _) => TableEmitter.Emit(result.Table!))
                .WithTrackingName(Steps.Emit);

            context.RegisterSourceOutput(files, static (spc, generated) =>
            {
                foreach (GeneratedFile file in generated)
                {
                    spc.AddSource(file.HintName, SourceText.From(file.Text, System.Text.Encoding.UTF8));
                }
            });
        }

        private static GenerationResult Bind(TableText input, string? rootNamespace, CancellationToken token)
        {
            token.ThrowIfCancellationRequested();
            SourceText text = SourceText.From(input.Content ?? string.Empty);
            JsonNode? root = JsonTreeReader.Read(input.Path, text, out DiagnosticInfo? error);
            if (root is null)
            {
                return new GenerationResult(null, new[] { error! }.ToEquatableArray());
            }

            return TableBinder.Bind(root, rootNamespace);
        }

        /// <summary>The table's path and text: equatable, unlike <see cref="AdditionalText"/>.</summary>
        private sealed record TableText(string Path, string? Content);
    }
}
