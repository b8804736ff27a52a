using System;
using System.Diagnostics;
using System.IO;
using EmbedKv.Runtime.Files;

namespace EmbedKv.Benchmarks.Storage
{
    /// <summary>The disk's own rate of durable 64-byte appends, one fdatasync each: what group commit must beat.</summary>
    internal static class RawSync
    {
        public static double OpsPerSecond(string root, double seconds)
        {
            string path = Path.Combine(root, "raw-" + Guid.NewGuid().ToString("N"));
            long n = 0;
            Stopwatch clock;
            using (FileHandle file = FileHandle.Open(path, FileMode.CreateNew))
            {
                Span<byte> record = stackalloc byte[64 + 24 + 8];
                clock = Stopwatch.StartNew();
                while (clock.Elapsed.TotalSeconds < seconds)
                {
                    file.WriteAt(record, n * record.Length);
                    file.DataSync();
                    n++;
                }
            }

            File.Delete(path);
            return n / clock.Elapsed.TotalSeconds;
        }
    }
}
