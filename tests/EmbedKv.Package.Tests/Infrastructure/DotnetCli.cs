using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text;

namespace EmbedKv.Package.Tests.Infrastructure
{
    /// <summary>
    /// Runs the dotnet CLI as a child process the way a user's shell would: the host that runs these tests,
    /// none of the MSBuild variables the test runner inherits from its own build, no build servers left
    /// behind, and all of the output kept for the assertion messages.
    /// </summary>
    internal static class DotnetCli
    {
        public static CommandResult Run(string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
            => RunProgram(EmbedKv.Server.Tests.Infrastructure.ChildPrograms.DotnetHost(), "dotnet", workingDirectory, timeout, environment, arguments);

        /// <summary>Runs another program (an emulator running a published app, say) the same way.</summary>
        public static CommandResult RunProgram(string program, string displayName, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
        {
            var start = new ProcessStartInfo(program)
            {
                WorkingDirectory = workingDirectory,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            // `dotnet test` runs the tests under MSBuild's environment (MSBuildExtensionsPath, MSBUILD_EXE_PATH, ...);
            // a child build must find its SDK on its own, as it would from a shell.
            foreach (string name in start.Environment.Keys.Where(n => n.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                start.Environment.Remove(name);
            }

            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["DOTNET_CLI_UI_LANGUAGE"] = "en";
            foreach (KeyValuePair<string, string> variable in environment ?? new Dictionary<string, string>())
            {
                start.Environment[variable.Key] = variable.Value;
            }

            var output = new StringBuilder(); // both streams, interleaved as they came
            var standardOutput = new StringBuilder();
            void Append(string? line, bool isStandardOutput)
            {
                if (line is not null)
                {
                    lock (output)
                    {
                        output.AppendLine(line);
                        if (isStandardOutput)
                        {
                            standardOutput.AppendLine(line);
                        }
                    }
                }
            }

            var clock = Stopwatch.StartNew();
            using Process process = Process.Start(start) ?? throw new InvalidOperationException(displayName + " did not start");
            process.OutputDataReceived += (_, e) => Append(e.Data, isStandardOutput: true);
            process.ErrorDataReceived += (_, e) => Append(e.Data, isStandardOutput: false);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            bool exited = process.WaitForExit(timeout);
            if (!exited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(); // also waits for the last lines of output
            string commandLine = displayName + " " + string.Join(" ", arguments);
            lock (output)
            {
                return new CommandResult(commandLine, workingDirectory, exited ? process.ExitCode : null, output.ToString(), standardOutput.ToString(), clock.Elapsed);
            }
        }
    }
}
