using System.IO;

namespace EmbedKv.Host.Tests.Infrastructure
{
    /// <summary>
    /// A copy of the host's whole output folder, with an appsettings.json of the test's: the host reads
    /// the file beside the program, so a test that needs its own settings file needs its own program folder.
    /// </summary>
    internal static class ProgramCopy
    {
        /// <summary>Copies the built host into <paramref name="directory"/>, writes <paramref name="appsettings"/> there, and returns the copy's embedkv.dll.</summary>
        public static string WithSettings(string directory, string appsettings)
        {
            string source = Path.GetDirectoryName(HostProcess.BuiltProgram)!;
            Copy(source, directory);
            File.WriteAllText(Path.Combine(directory, "appsettings.json"), appsettings);
            return Path.Combine(directory, "embedkv.dll");
        }

        private static void Copy(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (string file in Directory.GetFiles(from))
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }

            foreach (string directory in Directory.GetDirectories(from))
            {
                Copy(directory, Path.Combine(to, Path.GetFileName(directory)));
            }
        }
    }
}
