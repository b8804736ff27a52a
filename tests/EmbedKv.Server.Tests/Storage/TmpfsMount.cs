using System;
using System.Diagnostics;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// A small tmpfs mounted on a temporary directory, unmounted on dispose: a real disk that fills up.
    /// Mounting needs root; <see cref="TryCreate"/> says why it could not, so a test can print that and return
    /// (xunit 2 has no dynamic skip).
    /// </summary>
    internal sealed class TmpfsMount : IDisposable
    {
        private readonly TempDirectory _dir;

        private TmpfsMount(TempDirectory dir) => _dir = dir;

        public string Path => _dir.Path;

        public static TmpfsMount? TryCreate(int mebibytes, out string? why)
        {
            var dir = new TempDirectory();
            (int code, string output) = Run("mount", "-t tmpfs -o size=" + mebibytes + "m tmpfs " + dir.Path);
            if (code != 0)
            {
                dir.Dispose();
                why = "mount exited with " + code + ": " + output.Trim();
                return null;
            }

            why = null;
            return new TmpfsMount(dir);
        }

        public string Usage() => "(df: " + Run("df", "-k --output=used,avail " + Path).Output.Replace('\n', ' ').Trim() + ")";

        public string Listing() => Run("sh", "-c \"du -ak " + Path + " | sort -k2\"").Output;

        /// <summary>Bytes the filesystem still gives to an unprivileged write.</summary>
        public long Available()
        {
            string[] lines = Run("df", "-B1 --output=avail " + Path).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(lines[^1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>
        /// Creates (or extends) <paramref name="name"/> until the disk refuses even one more byte: tmpfs
        /// hands out whole pages, so it writes large chunks first, then single bytes. Returns the file's length.
        /// </summary>
        public long FillWith(string name)
        {
            string path = System.IO.Path.Combine(Path, name);
            using SafeFileHandle file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write);
            long length = RandomAccess.GetLength(file);
            foreach (int chunk in new[] { 256 * 1024, 4096, 1 })
            {
                byte[] bytes = new byte[chunk];
                while (true)
                {
                    try
                    {
                        RandomAccess.Write(file, bytes, length);
                    }
                    catch (IOException)
                    {
                        break; // a short write counts nothing; the length is read back below
                    }

                    length += chunk;
                }

                length = RandomAccess.GetLength(file);
            }

            return length;
        }

        public void Dispose()
        {
            Run("umount", "-l " + Path);
            _dir.Dispose();
        }

        private static (int Code, string Output) Run(string file, string arguments)
        {
            try
            {
                var start = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                using Process process = Process.Start(start)!;
                string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
                process.WaitForExit();
                return (process.ExitCode, output);
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                return (-1, e.Message);
            }
        }
    }
}
