using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>
    /// The runtime and the server read file status through statx alone. <c>struct stat</c> is laid out
    /// differently on aarch64 than on x86_64, and a C# struct has one layout per assembly, which is one IL
    /// for every architecture; <c>struct statx</c> is the same on all of them. fstat, newfstatat and
    /// <c>Stat</c> stay in syscalls.json, header-checked, to record that difference, not to be called.
    /// </summary>
    public sealed partial class StatxOnlyTests
    {
        private static readonly string[] SourceFolders = { "runtime", "server" };

        [Fact]
        public void NoSourceUsesFstatNewfstatatOrTheStatStruct()
        {
            string root = RepositoryRoot();
            var offences = new List<string>();
            foreach (string file in SourceFolders.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories)))
            {
                if (IsBuildOutput(root, file))
                {
                    continue;
                }

                string[] lines = File.ReadAllLines(file);
                for (int i = 0; i < lines.Length; i++)
                {
                    if (StatUse().IsMatch(Code(lines[i])))
                    {
                        offences.Add(Path.GetRelativePath(root, file) + ":" + (i + 1) + ": " + lines[i].Trim());
                    }
                }
            }

            Assert.True(
                offences.Count == 0,
                "struct stat differs between x86_64 and aarch64, and the runtime is one assembly for both: use statx " +
                "(EmbedKv.Runtime.Files.FileStatus, or Sys.Statx), whose struct is the same everywhere, not Sys.Fstat, " +
                "Sys.Newfstatat or Stat (docs/syscalls.md, \"Where arm64 differs\"):\n" + string.Join("\n", offences));
        }

        [Theory]
        [InlineData("Syscall.Check(Sys.Fstat(fd, &stat), \"fstat\");")]
        [InlineData("static s => Sys.Newfstatat(s.Fd, p, s.Buf, 0)")]
        [InlineData("Stat stat;")]
        [InlineData("fixed (Stat* s = &stat)")]
        [InlineData("Interop.Stat found = default;")]
        public void TheScanFindsEveryKindOfUse(string line) => Assert.Matches(StatUse(), Code(line));

        [Theory]
        [InlineData("FileStatus status = FileStatus.Of(fd, Sys.STATX_SIZE, Path);")]
        [InlineData("Statx statx;")]
        [InlineData("StatAt(name, 0, Sys.STATX_SIZE, missingIsFalse: false, out FileStatus status);")]
        [InlineData("(Stat: (nint)s, Flags: flags)")]
        [InlineData("// fstat's Stat is another layout on aarch64")]
        [InlineData("Syscall.Throw(result, \"statx\", \"Stat\");")]
        public void TheScanLeavesOtherNamesCommentsAndStringsAlone(string line) => Assert.DoesNotMatch(StatUse(), Code(line));

        // A Stat named as a tuple element or argument (Stat: ...) is no use of the struct.
        [GeneratedRegex(@"\bSys\s*\.\s*(?:Fstat|Newfstatat)\b|\bStat\b(?!\s*:)")]
        private static partial Regex StatUse();

        // A line without its string literals and its line comment.
        private static string Code(string line)
        {
            string withoutStrings = Regex.Replace(line, @"""(?:[^""\\]|\\.)*""", "\"\"");
            int comment = withoutStrings.IndexOf("//", StringComparison.Ordinal);
            return comment < 0 ? withoutStrings : withoutStrings[..comment];
        }

        private static bool IsBuildOutput(string root, string file)
        {
            string[] parts = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
            return parts.Contains("bin") || parts.Contains("obj");
        }

        private static string RepositoryRoot()
        {
            for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
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
