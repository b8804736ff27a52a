using System;
using System.Text.RegularExpressions;

namespace EmbedKv.Package.Tests.Infrastructure
{
    /// <summary>What a dotnet command did, with assertions whose messages carry its whole output.</summary>
    internal sealed class CommandResult
    {
        // MSBuild's form of a warning: "file(1,2): warning CS0168: ..." or "MSBUILD : warning MSB3277: ...".
        private static readonly Regex Warning = new Regex(@"\bwarning [A-Z]+[0-9]+:", RegexOptions.CultureInvariant);

        public CommandResult(string commandLine, string workingDirectory, int? exitCode, string output, string standardOutput, TimeSpan elapsed)
        {
            CommandLine = commandLine;
            WorkingDirectory = workingDirectory;
            ExitCode = exitCode;
            Output = output;
            StandardOutput = standardOutput;
            Elapsed = elapsed;
        }

        public string CommandLine { get; }

        public string WorkingDirectory { get; }

        /// <summary>The exit code, or null if the command ran out of time and was killed.</summary>
        public int? ExitCode { get; }

        /// <summary>Standard output and standard error, interleaved as they came.</summary>
        public string Output { get; }

        public string StandardOutput { get; }

        public TimeSpan Elapsed { get; }

        public CommandResult AssertSucceeded()
        {
            Assert.True(ExitCode == 0, "failed: " + this);
            return this;
        }

        /// <summary>Succeeded, and MSBuild reported no warning (the commands also pass -warnaserror).</summary>
        public CommandResult AssertBuiltWithoutWarnings()
        {
            AssertSucceeded();
            Assert.False(Warning.IsMatch(Output), "warnings: " + this);
            return this;
        }

        public override string ToString()
            => "`" + CommandLine + "` in " + WorkingDirectory + " "
               + (ExitCode is int code ? "exited with " + code : "timed out and was killed")
               + " after " + Elapsed.TotalSeconds.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) + " s; output:"
               + Environment.NewLine + Output;
    }
}
