using System;
using System.IO;

namespace EmbedKv.Generators.Tests.Infrastructure
{
    /// <summary>Finds the repository from the test's output folder (source paths may be mapped away in CI builds).</summary>
    internal static class RepositoryPaths
    {
        public static string Root { get; } = FindRoot();

        public static string SyscallsJson => Path.Combine(Root, "syscalls.json");

        public static string TestProject => Path.Combine(Root, "tests", "EmbedKv.Generators.Tests");

        private static string FindRoot()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "EmbedKv.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException("EmbedKv.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
