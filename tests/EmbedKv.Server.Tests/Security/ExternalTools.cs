using System;
using System.Diagnostics;
using System.IO;
using System.Threading.Tasks;

namespace EmbedKv.Server.Tests.Security
{
    /// <summary>
    /// nginx and curl, which the TLS tests need: .ci/run installs both, so a missing one fails the test with
    /// what to install instead of skipping it (a skipped proof of the recipe would look like a passing one).
    /// </summary>
    internal static class ExternalTools
    {
        public static string Nginx()
        {
            // Debian puts nginx in /usr/sbin, which is not on an ordinary user's PATH.
            string? found = Find("nginx", "/usr/sbin/nginx");
            Assert.True(found is not null, "nginx is not installed: install it (sudo apt-get install nginx; .ci/run does) to run the TLS proxy tests");
            return found!;
        }

        public static string Curl()
        {
            string? found = Find("curl", "/usr/bin/curl");
            Assert.True(found is not null, "curl is not installed: install it (sudo apt-get install curl; .ci/run does)");
            return found!;
        }

        /// <summary>Runs curl quietly with a time limit; returns its exit code, what -w printed (the status by default), and stderr.</summary>
        public static (int ExitCode, string Output, string Errors) RunCurl(params string[] arguments)
        {
            var start = new ProcessStartInfo(Curl())
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string argument in new[] { "-s", "-S", "--max-time", "30", "-w", "%{http_code}" })
            {
                start.ArgumentList.Add(argument);
            }

            if (Array.IndexOf(arguments, "-o") < 0)
            {
                start.ArgumentList.Add("-o");
                start.ArgumentList.Add("/dev/null");
            }

            foreach (string argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using Process curl = Process.Start(start)!;
            Task<string> errors = curl.StandardError.ReadToEndAsync();
            string output = curl.StandardOutput.ReadToEnd();
            if (!curl.WaitForExit(60_000))
            {
                curl.Kill();
                Assert.Fail("curl " + string.Join(' ', arguments) + " did not finish");
            }

            return (curl.ExitCode, output.Trim(), errors.GetAwaiter().GetResult());
        }

        /// <summary>The tool at <paramref name="usual"/>, or else the first <paramref name="name"/> on PATH; null if neither exists.</summary>
        internal static string? Find(string name, string usual)
        {
            if (File.Exists(usual))
            {
                return usual;
            }

            foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            {
                string candidate = Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            return null;
        }
    }
}
