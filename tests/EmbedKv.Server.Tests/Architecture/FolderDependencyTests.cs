using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;

namespace EmbedKv.Server.Tests.Architecture
{
    /// <summary>
    /// The folder layout of server/EmbedKv.Server (issue 12), checked from its sources:
    /// <list type="bullet">
    /// <item>Namespaces follow folders: Storage/Writes/X.cs declares <c>EmbedKv.Server.Storage.Writes</c>.</item>
    /// <item>A folder's parent namespace is in scope in C#, so a subfolder uses its parent's types without a
    /// using: that is allowed. The Storage root folder holds the public contract (KvStore, options, outcomes,
    /// exceptions, reports) and the KvStore facade; its subfolders are internal engine parts.</item>
    /// <item>Explicit dependencies between folders (using lines, using static, alias usings, fully qualified
    /// <c>EmbedKv.Server.X.T</c> in code) must be acyclic. A failure names each cycle's folders and the
    /// file and line that make each of its edges.</item>
    /// </list>
    /// docs/architecture.md and docs/storage.md ("Source layout") say the same. The public surface is checked by PublicApi/.
    /// </summary>
    public sealed class FolderDependencyTests
    {
        private static readonly Lazy<ProjectSources> Server = new Lazy<ProjectSources>(
            () => ProjectSources.Read(Path.Combine(RepositoryRoot(), "server", "EmbedKv.Server"), "EmbedKv.Server"));

        [Fact]
        public void EveryNamespaceFollowsItsFolder()
        {
            List<string> misplaced = Server.Value.MisplacedNamespaces().ToList();
            Assert.True(misplaced.Count == 0, "namespaces that do not follow their folder:\n" + string.Join("\n", misplaced));
        }

        [Fact]
        public void StorageFoldersHaveNoCycles()
        {
            FolderGraph storage = Server.Value.Graph().Where(IsStorage);
            IReadOnlyList<IReadOnlyList<string>> cycles = storage.Cycles();
            Assert.True(cycles.Count == 0, storage.Describe(cycles));
        }

        [Fact]
        public void StorageDependsOnNoServerLayer()
        {
            List<FolderEdge> upward = Server.Value.Graph().Edges
                .Where(e => IsStorage(e.From) && !IsStorage(e.To))
                .ToList();
            Assert.True(upward.Count == 0, "Storage must not depend on Loop, Http, Diagnostics or the server root:\n" + string.Join("\n", upward));
        }

        [Fact]
        public void TheWholeProjectHasNoFolderCycles()
        {
            FolderGraph graph = Server.Value.Graph();
            IReadOnlyList<IReadOnlyList<string>> cycles = graph.Cycles();
            Assert.True(cycles.Count == 0, graph.Describe(cycles));
        }

        [Fact]
        public void TheCycleFinderFindsEveryCycleAndNamesItsEdges()
        {
            var graph = new FolderGraph();
            graph.AddEdge(new FolderEdge("A", "B", "A/x.cs", 3, "using N.B;"));
            graph.AddEdge(new FolderEdge("B", "C", "B/y.cs", 4, "using N.C;"));
            graph.AddEdge(new FolderEdge("C", "A", "C/z.cs", 5, "N.A.T.Run();"));
            graph.AddEdge(new FolderEdge("C", "D", "C/z.cs", 6, "using N.D;"));
            graph.AddEdge(new FolderEdge("D", "E", "D/u.cs", 1, "using N.E;"));
            graph.AddEdge(new FolderEdge("E", "D", "E/v.cs", 2, "using static N.D.T;"));
            graph.AddEdge(new FolderEdge("E", "F", "E/v.cs", 3, "using N.F;"));

            IReadOnlyList<IReadOnlyList<string>> cycles = graph.Cycles();

            Assert.Equal(
                new[] { "A,B,C", "D,E" },
                cycles.Select(c => string.Join(",", c)).OrderBy(c => c, StringComparer.Ordinal));
            string message = graph.Describe(cycles);
            Assert.Contains("cycle among A, B, C:", message, StringComparison.Ordinal);
            Assert.Contains("C -> A  (C/z.cs:5: N.A.T.Run();)", message, StringComparison.Ordinal);
            Assert.Contains("E -> D  (E/v.cs:2: using static N.D.T;)", message, StringComparison.Ordinal);
            Assert.DoesNotContain("C -> D", message, StringComparison.Ordinal);
            Assert.Empty(graph.Where(f => f is "A" or "B" or "D").Cycles());
        }

        [Fact]
        public void TheReaderSeesEveryKindOfReference()
        {
            var sources = new ProjectSources("N");
            sources.Add("A/a.cs", "using System;\nusing N.B;\nnamespace N.A\n{\n}\n");
            sources.Add("B/b.cs", "using static N.C.Tools;\nnamespace N.B\n{\n}\n");
            sources.Add("C/c.cs", "using Alias = N.D.Thing;\nnamespace N.C\n{\n}\n");
            sources.Add("D/d.cs", "namespace N.D\n{\n    class T { void M() => N.E.Sub.Thing.Run(\"N.A.NotCode\"); } // N.A.Comment\n}\n");
            sources.Add("E/Sub/e.cs", "namespace N.E.Sub\n{\n    /* N.A.Block\n       N.A.Block */ class U { N.A.Real r; }\n}\n");
            sources.Add("F/f.cs", "namespace N.Wrong\n{\n}\n");

            FolderGraph graph = sources.Graph();

            Assert.Equal(
                new[] { "A -> B", "B -> C", "C -> D", "D -> E/Sub", "E/Sub -> A" },
                graph.EdgeList());
            Assert.Equal(new[] { "F/f.cs:1: namespace N.Wrong (expected N.F)" }, sources.MisplacedNamespaces());
            Assert.Single(graph.Cycles());
        }

        private static bool IsStorage(string folder) => folder == "Storage" || folder.StartsWith("Storage/", StringComparison.Ordinal);

        /// <summary>The folder holding EmbedKv.sln, found upward from the test's output folder (as Infrastructure/ChildPrograms does).</summary>
        private static string RepositoryRoot()
        {
            for (DirectoryInfo? dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EmbedKv.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("no EmbedKv.sln above " + AppContext.BaseDirectory);
        }
    }
}
