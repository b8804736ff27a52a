using System;
using System.IO;
using System.Linq;
using EmbedKv.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace EmbedKv.Generators.Tests
{
    /// <summary>
    /// The generator's stages stay layered: Emit reads the bound model and nothing of Binding, Json or
    /// Diagnostics, so an emitter can be read, changed and tested knowing only Model/.
    /// </summary>
    public sealed class StageLayeringTests
    {
        private const string Generators = "EmbedKv.Generators";

        private static readonly string[] EmitMayUse = { Generators + ".Model", Generators + ".Emit", "System", "Microsoft.CodeAnalysis" };

        private static string SourceRoot => Path.Combine(RepositoryPaths.Root, "generators", Generators);

        [Fact]
        public void EmitUsesOnlyModelSystemAndRoslynNamespaces()
        {
            var offences = EmitFiles()
                .SelectMany(tree => tree.GetCompilationUnitRoot().DescendantNodes().OfType<UsingDirectiveSyntax>()
                    .Select(directive => (File: Path.GetFileName(tree.FilePath), Namespace: directive.NamespaceOrType.ToString())))
                .Where(used => !Allowed(used.Namespace))
                .Select(used => used.File + ": using " + used.Namespace)
                .ToList();
            Assert.True(offences.Count == 0, "Emit reaches past Model:\n" + string.Join("\n", offences));
        }

        /// <summary>
        /// Usings are not the only way in: a nested namespace sees its parents' members, so
        /// <c>Binding.SomeType</c> compiles in Emit without one. Every name Emit binds is checked instead.
        /// </summary>
        [Fact]
        public void EveryNameEmitBindsLivesInModelEmitSystemOrRoslyn()
        {
            SyntaxTree[] emit = EmitFiles();
            SyntaxTree[] rest = Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories)
                .Where(path => !IsBuildOutput(path) && !emit.Any(tree => tree.FilePath == path))
                .Select(Parse)
                .ToArray();
            CSharpCompilation generator = GeneratorHarness.CreateCompilation(emit.Concat(rest));
            Assert.Empty(generator.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

            var offences = emit.SelectMany(tree =>
            {
                SemanticModel model = generator.GetSemanticModel(tree);
                return tree.GetCompilationUnitRoot().DescendantNodes().OfType<SimpleNameSyntax>()
                    .Select(name => (Name: name, Symbol: model.GetSymbolInfo(name).Symbol))
                    .Where(bound => bound.Symbol is not null && !Allowed(bound.Symbol))
                    .Select(bound => Path.GetFileName(tree.FilePath) + "(" + (bound.Name.GetLocation().GetLineSpan().StartLinePosition.Line + 1) + "): "
                        + bound.Name + " is in " + Namespace(bound.Symbol as INamespaceSymbol ?? bound.Symbol!.ContainingNamespace));
            }).ToList();
            Assert.True(offences.Count == 0, "Emit reaches past Model:\n" + string.Join("\n", offences));
        }

        private static SyntaxTree[] EmitFiles()
            => Directory.EnumerateFiles(Path.Combine(SourceRoot, "Emit"), "*.cs", SearchOption.AllDirectories).Select(Parse).ToArray();

        private static SyntaxTree Parse(string path)
            => CSharpSyntaxTree.ParseText(File.ReadAllText(path), new CSharpParseOptions(LanguageVersion.Latest), path);

        private static bool IsBuildOutput(string path)
        {
            string relative = Path.GetRelativePath(SourceRoot, path);
            return relative.StartsWith("bin" + Path.DirectorySeparatorChar, StringComparison.Ordinal)
                || relative.StartsWith("obj" + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        }

        /// <summary>
        /// A symbol in an allowed namespace. A namespace itself also passes on the way to an allowed
        /// one (the EmbedKv and Generators of EmbedKv.Generators.Model), but its types do not.
        /// </summary>
        private static bool Allowed(ISymbol symbol)
            => symbol is INamespaceSymbol ns
                ? ns.IsGlobalNamespace || Allowed(Namespace(ns)) || EmitMayUse.Any(allowed => allowed.StartsWith(Namespace(ns) + ".", StringComparison.Ordinal))
                : Allowed(Namespace(symbol.ContainingNamespace));

        private static bool Allowed(string ns)
            => EmitMayUse.Any(allowed => ns == allowed || ns.StartsWith(allowed + ".", StringComparison.Ordinal));

        private static string Namespace(INamespaceSymbol? ns)
            => ns is null || ns.IsGlobalNamespace ? "the global namespace" : ns.ToDisplayString();
    }
}
