using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;

namespace EmbedKv.Server.Tests.Architecture
{
    /// <summary>One explicit dependency of a folder on another: the file and line that make it.</summary>
    internal sealed record FolderEdge(string From, string To, string File, int Line, string Text)
    {
        public override string ToString() => From + " -> " + To + "  (" + File + ":" + Line + ": " + Text + ")";
    }

    /// <summary>
    /// The folders of a project and the explicit dependencies between them, with Tarjan's algorithm for
    /// the strongly connected components: every component of more than one folder is a cycle.
    /// </summary>
    internal sealed class FolderGraph
    {
        private readonly SortedSet<string> _folders = new SortedSet<string>(StringComparer.Ordinal);
        private readonly List<FolderEdge> _edges = new List<FolderEdge>();

        public IReadOnlyCollection<string> Folders => _folders;

        public IReadOnlyList<FolderEdge> Edges => _edges;

        public void AddFolder(string folder) => _folders.Add(folder);

        public void AddEdge(FolderEdge edge)
        {
            if (edge.From == edge.To)
            {
                return;
            }

            _folders.Add(edge.From);
            _folders.Add(edge.To);
            _edges.Add(edge);
        }

        /// <summary>The graph restricted to the folders <paramref name="keep"/> accepts.</summary>
        public FolderGraph Where(Func<string, bool> keep)
        {
            var graph = new FolderGraph();
            foreach (string folder in _folders.Where(keep))
            {
                graph.AddFolder(folder);
            }

            foreach (FolderEdge edge in _edges.Where(e => keep(e.From) && keep(e.To)))
            {
                graph.AddEdge(edge);
            }

            return graph;
        }

        /// <summary>The distinct folder-to-folder edges, one line each ("Storage/Writes -> Storage/IO").</summary>
        public IEnumerable<string> EdgeList()
            => _edges.Select(e => e.From + " -> " + e.To).Distinct().OrderBy(e => e, StringComparer.Ordinal);

        /// <summary>The strongly connected components of more than one folder (Tarjan), each sorted.</summary>
        public IReadOnlyList<IReadOnlyList<string>> Cycles()
        {
            var successors = _folders.ToDictionary(f => f, _ => new SortedSet<string>(StringComparer.Ordinal), StringComparer.Ordinal);
            foreach (FolderEdge edge in _edges)
            {
                successors[edge.From].Add(edge.To);
            }

            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            var low = new Dictionary<string, int>(StringComparer.Ordinal);
            var stack = new Stack<string>();
            var onStack = new HashSet<string>(StringComparer.Ordinal);
            var components = new List<IReadOnlyList<string>>();
            int next = 0;

            void Visit(string v)
            {
                index[v] = low[v] = next++;
                stack.Push(v);
                onStack.Add(v);
                foreach (string w in successors[v])
                {
                    if (!index.ContainsKey(w))
                    {
                        Visit(w);
                        low[v] = Math.Min(low[v], low[w]);
                    }
                    else if (onStack.Contains(w))
                    {
                        low[v] = Math.Min(low[v], index[w]);
                    }
                }

                if (low[v] == index[v])
                {
                    var component = new List<string>();
                    string w;
                    do
                    {
                        w = stack.Pop();
                        onStack.Remove(w);
                        component.Add(w);
                    }
                    while (w != v);

                    if (component.Count > 1)
                    {
                        component.Sort(StringComparer.Ordinal);
                        components.Add(component);
                    }
                }
            }

            foreach (string folder in _folders)
            {
                if (!index.ContainsKey(folder))
                {
                    Visit(folder);
                }
            }

            return components;
        }

        /// <summary>Names each cycle's folders and every edge inside it, with the file and line that makes it.</summary>
        public string Describe(IReadOnlyList<IReadOnlyList<string>> cycles)
        {
            var text = new StringBuilder();
            foreach (IReadOnlyList<string> cycle in cycles)
            {
                var members = new HashSet<string>(cycle, StringComparer.Ordinal);
                text.Append("cycle among ").AppendJoin(", ", cycle).AppendLine(":");
                foreach (FolderEdge edge in _edges.Where(e => members.Contains(e.From) && members.Contains(e.To)).OrderBy(e => e.From, StringComparer.Ordinal).ThenBy(e => e.To, StringComparer.Ordinal))
                {
                    text.Append("  ").AppendLine(edge.ToString());
                }
            }

            return text.ToString();
        }
    }

    /// <summary>
    /// Reads a project's C# files as text: each file's folder, its namespace declarations, and its explicit
    /// references to the project's own namespaces (<c>using X;</c>, <c>using static X.T;</c>, alias usings,
    /// and fully qualified <c>EmbedKv.Server.X.T</c> in code; comments and string literals are skipped).
    /// A namespace's parent namespaces are in scope in C# without a using, so those uses are not seen here.
    /// </summary>
    internal sealed class ProjectSources
    {
        private static readonly Regex Using = new Regex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(?:global::)?(?<name>[\w.]+)\s*;", RegexOptions.Compiled);
        private static readonly Regex Namespace = new Regex(@"^\s*namespace\s+(?<name>[\w.]+)", RegexOptions.Compiled);
        private static readonly Regex Comments = new Regex(@"//.*$|/\*.*?\*/|@""(?:""""|[^""])*""|""(?:\\.|[^""\\])*""|'(?:\\.|[^'\\])'", RegexOptions.Compiled);

        private readonly string _rootNamespace;
        private readonly List<(string Folder, string File, string Text)> _files = new List<(string, string, string)>();

        public ProjectSources(string rootNamespace) => _rootNamespace = rootNamespace;

        /// <summary>Every .cs file under <paramref name="projectDirectory"/>, bin/ and obj/ left out.</summary>
        public static ProjectSources Read(string projectDirectory, string rootNamespace)
        {
            var sources = new ProjectSources(rootNamespace);
            foreach (string path in Directory.EnumerateFiles(projectDirectory, "*.cs", SearchOption.AllDirectories).OrderBy(p => p, StringComparer.Ordinal))
            {
                string relative = Path.GetRelativePath(projectDirectory, path).Replace('\\', '/');
                if (relative.StartsWith("bin/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal))
                {
                    continue;
                }

                sources.Add(relative, File.ReadAllText(path));
            }

            return sources;
        }

        /// <summary>The folder ("." for the project's own) of a project-relative file path.</summary>
        public static string FolderOf(string relativePath)
        {
            int slash = relativePath.LastIndexOf('/');
            return slash < 0 ? "." : relativePath.Substring(0, slash);
        }

        public void Add(string relativePath, string text) => _files.Add((FolderOf(relativePath), relativePath, text));

        /// <summary>The namespace a folder's files must declare.</summary>
        public string NamespaceOf(string folder) => folder == "." ? _rootNamespace : _rootNamespace + "." + folder.Replace('/', '.');

        /// <summary>Every namespace declaration that is not its folder's, as "file:line: namespace X (expected Y)".</summary>
        public IEnumerable<string> MisplacedNamespaces()
        {
            foreach ((string folder, string file, string text) in _files)
            {
                string[] lines = text.Split('\n');
                bool any = false;
                for (int i = 0; i < lines.Length; i++)
                {
                    Match m = Namespace.Match(lines[i]);
                    if (!m.Success)
                    {
                        continue;
                    }

                    any = true;
                    if (m.Groups["name"].Value != NamespaceOf(folder))
                    {
                        yield return file + ":" + (i + 1) + ": namespace " + m.Groups["name"].Value + " (expected " + NamespaceOf(folder) + ")";
                    }
                }

                if (!any)
                {
                    yield return file + ": no namespace (expected " + NamespaceOf(folder) + ")";
                }
            }
        }

        /// <summary>The folder graph of the project's explicit dependencies.</summary>
        public FolderGraph Graph()
        {
            var graph = new FolderGraph();
            var folders = _files.Select(f => f.Folder).Distinct().ToList();
            foreach (string folder in folders)
            {
                graph.AddFolder(folder);
            }

            // Longest namespace first, so "EmbedKv.Server.Storage.IO.X" finds Storage/IO before Storage.
            var byNamespace = folders.Select(f => (Namespace: NamespaceOf(f), Folder: f)).OrderByDescending(n => n.Namespace.Length).ToList();
            string? FolderFor(string name) => byNamespace
                .Where(n => name == n.Namespace || name.StartsWith(n.Namespace + ".", StringComparison.Ordinal))
                .Select(n => n.Folder)
                .FirstOrDefault();

            var qualified = new Regex(@"(?<![\w.])" + Regex.Escape(_rootNamespace) + @"(?:\.\w+)+");
            foreach ((string folder, string file, string text) in _files)
            {
                string[] lines = text.Split('\n');
                bool inBlockComment = false;
                for (int i = 0; i < lines.Length; i++)
                {
                    string line = lines[i].TrimEnd('\r');
                    Match use = Using.Match(line);
                    if (use.Success)
                    {
                        if (FolderFor(use.Groups["name"].Value) is { } target)
                        {
                            graph.AddEdge(new FolderEdge(folder, target, file, i + 1, line.Trim()));
                        }

                        continue;
                    }

                    if (Namespace.IsMatch(line))
                    {
                        continue;
                    }

                    string code = CodeOf(line, ref inBlockComment);
                    foreach (Match m in qualified.Matches(code))
                    {
                        if (FolderFor(m.Value) is { } target)
                        {
                            graph.AddEdge(new FolderEdge(folder, target, file, i + 1, line.Trim()));
                        }
                    }
                }
            }

            return graph;
        }

        /// <summary>A line without its comments and string literals (a block comment may span lines).</summary>
        private static string CodeOf(string line, ref bool inBlockComment)
        {
            if (inBlockComment)
            {
                int end = line.IndexOf("*/", StringComparison.Ordinal);
                if (end < 0)
                {
                    return string.Empty;
                }

                inBlockComment = false;
                line = line.Substring(end + 2);
            }

            string code = Comments.Replace(line, " ");
            int open = code.IndexOf("/*", StringComparison.Ordinal);
            if (open >= 0)
            {
                inBlockComment = true;
                code = code.Substring(0, open);
            }

            return code;
        }
    }
}
