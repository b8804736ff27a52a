using System;
using System.IO;
using System.Linq;

namespace EmbedKv.Benchmarks.Storage
{
    /// <summary>Facts about this process and machine read from /proc, for the reports.</summary>
    internal static class MachineInfo
    {
        /// <summary>The machine's processors (Environment.ProcessorCount only sees the pinned ones).</summary>
        public static int CoreCount() => File.ReadLines("/proc/cpuinfo").Count(l => l.StartsWith("processor", StringComparison.Ordinal));

        public static long ResidentBytes()
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }

        /// <summary>The filesystem type and device a path lives on, from /proc/self/mounts.</summary>
        public static string FileSystemOf(string path)
        {
            string full = Path.GetFullPath(path);
            string[]? best = null;
            foreach (string line in File.ReadLines("/proc/self/mounts"))
            {
                string[] fields = line.Split(' ');
                if (fields.Length > 2 && full.StartsWith(fields[1], StringComparison.Ordinal) && (best is null || fields[1].Length > best[1].Length))
                {
                    best = fields;
                }
            }

            return best is null ? "unknown" : best[2] + " (" + best[0] + " at " + best[1] + ")";
        }
    }
}
