using System;
using System.IO;

namespace EmbedKv.Server.Tests.Infrastructure
{
    /// <summary>Finds the helper programs the tests run as separate processes (built first through project references).</summary>
    internal static class ChildPrograms
    {
        /// <summary>The dotnet host that runs this test process, to run the children with.</summary>
        public static string DotnetHost()
        {
            // Under dotnet test the test host usually runs in dotnet itself; otherwise take the one named or on PATH.
            string? path = Environment.ProcessPath;
            if (path is not null && Path.GetFileNameWithoutExtension(path) == "dotnet")
            {
                return path;
            }

            string? hostPath = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
            return hostPath is not null && File.Exists(hostPath) ? hostPath : "dotnet";
        }

        /// <summary>tests/&lt;project&gt;/bin/&lt;Configuration&gt;/&lt;tfm&gt;/&lt;project&gt;.dll, matching this test run's configuration.</summary>
        public static string PathOf(string project) => PathOf("tests", project, project);

        /// <summary>
        /// &lt;folder&gt;/&lt;project&gt;/bin/&lt;Configuration&gt;/&lt;tfm&gt;/&lt;assembly&gt;.dll, matching this test run's
        /// configuration: a program elsewhere in the repository, or one whose assembly name is not its
        /// project's (server/EmbedKv.Host builds embedkv.dll).
        /// </summary>
        public static string PathOf(string folder, string project, string assembly)
        {
            // The tests run from tests/<test project>/bin/<Configuration>/<tfm>/: take both names from there.
            var output = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
            string framework = output.Name;
            string configuration = output.Parent!.Name;
            for (DirectoryInfo? root = output; root is not null; root = root.Parent)
            {
                if (File.Exists(Path.Combine(root.FullName, "EmbedKv.sln")))
                {
                    string path = Path.Combine(root.FullName, folder, project, "bin", configuration, framework, assembly + ".dll");
                    Assert.True(File.Exists(path), project + " is not built: " + path);
                    return path;
                }
            }

            throw new InvalidOperationException("no EmbedKv.sln above " + output.FullName);
        }
    }
}
