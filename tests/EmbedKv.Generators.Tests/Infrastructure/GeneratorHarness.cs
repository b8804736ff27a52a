using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Text;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace EmbedKv.Generators.Tests.Infrastructure
{
    /// <summary>Runs the real generator in a real compilation, the way the compiler does.</summary>
    internal static class GeneratorHarness
    {
        public const string TablePath = "/repo/syscalls.json";

        private static readonly Lazy<MetadataReference[]> References = new Lazy<MetadataReference[]>(() =>
            ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
                .Split(Path.PathSeparator)
                .Where(path => path.Length > 0)
                .Append(typeof(EmbedKv.Runtime.Interop.StubPage).Assembly.Location)
                .Select(path => (MetadataReference)MetadataReference.CreateFromFile(path))
                .ToArray());

        public static CSharpCompilation CreateCompilation(params string[] sources)
            => CreateCompilation(sources.Select(source => CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))));

        /// <summary>A library of the given trees against the test host's assemblies (the runtime, Roslyn, EmbedKv.Runtime).</summary>
        public static CSharpCompilation CreateCompilation(IEnumerable<SyntaxTree> trees)
            => CSharpCompilation.Create(
                "Consumer",
                trees,
                References.Value,
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true, nullableContextOptions: NullableContextOptions.Enable));

        public static AdditionalText Table(string content) => new InMemoryText(TablePath, content);

        public static GeneratorDriver CreateDriver(string table, string? rootNamespace = "Consumer", bool trackSteps = false)
            => CreateDriver(Table(table), rootNamespace, trackSteps);

        public static GeneratorDriver CreateDriver(AdditionalText table, string? rootNamespace = "Consumer", bool trackSteps = false)
            => CSharpGeneratorDriver.Create(
                new[] { new SyscallGenerator().AsSourceGenerator() },
                new[] { table },
                new CSharpParseOptions(LanguageVersion.Latest),
                new Options(rootNamespace),
                new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

        /// <summary>Runs the generator over a table and returns its result and the compilation with its output.</summary>
        public static (GeneratorRunResult Result, Compilation Output) Run(string table, string? rootNamespace = "Consumer")
        {
            GeneratorDriver driver = CreateDriver(table, rootNamespace)
                .RunGeneratorsAndUpdateCompilation(CreateCompilation("namespace Consumer { public static class Anchor { } }"), out Compilation output, out _);
            GeneratorRunResult result = driver.GetRunResult().Results.Single();
            if (result.Exception is not null)
            {
                throw new InvalidOperationException("The generator threw.", result.Exception);
            }

            return (result, output);
        }

        /// <summary>Diagnostics as the compiler prints them: "syscalls.json(3,5): error EKV002: …".</summary>
        public static string Format(IEnumerable<Diagnostic> diagnostics)
        {
            var text = new StringBuilder();
            foreach (Diagnostic diagnostic in diagnostics)
            {
                FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
                text.Append(Path.GetFileName(span.Path))
                    .Append('(').Append(span.StartLinePosition.Line + 1).Append(',').Append(span.StartLinePosition.Character + 1)
                    .Append(',').Append(span.EndLinePosition.Line + 1).Append(',').Append(span.EndLinePosition.Character + 1).Append("): ")
                    .Append(diagnostic.Severity.ToString().ToLowerInvariant()).Append(' ').Append(diagnostic.Id).Append(": ")
                    .Append(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            }

            return text.ToString();
        }

        private sealed class InMemoryText : AdditionalText
        {
            private readonly SourceText _text;

            public InMemoryText(string path, string text)
            {
                Path = path;
                _text = SourceText.From(text, Encoding.UTF8);
            }

            public override string Path { get; }

            public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
        }

        private sealed class Options : AnalyzerConfigOptionsProvider
        {
            public Options(string? rootNamespace) => GlobalOptions = new Values(rootNamespace);

            public override AnalyzerConfigOptions GlobalOptions { get; }

            public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => GlobalOptions;

            public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => GlobalOptions;

            private sealed class Values : AnalyzerConfigOptions
            {
                private readonly ImmutableDictionary<string, string> _values;

                public Values(string? rootNamespace)
                    => _values = rootNamespace is null
                        ? ImmutableDictionary<string, string>.Empty
                        : ImmutableDictionary<string, string>.Empty.Add("build_property.RootNamespace", rootNamespace);

                public override bool TryGetValue(string key, out string value)
                    => _values.TryGetValue(key, out value!);
            }
        }
    }
}
