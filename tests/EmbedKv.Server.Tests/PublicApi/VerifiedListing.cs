using System;
using System.IO;

namespace EmbedKv.Server.Tests.PublicApi
{
    /// <summary>
    /// A public-surface listing checked against its &lt;assembly&gt;.verified.txt: equal passes, different writes
    /// &lt;assembly&gt;.received.txt beside it and fails with how to accept it. Shared by every test project that
    /// lists a shipped assembly (linked into tests/EmbedKv.Etcd.Tests).
    /// </summary>
    internal static class VerifiedListing
    {
        /// <summary>Set to 1 to accept every received listing as the new verified one (as the generator snapshots do).</summary>
        public const string AcceptVariable = "EMBEDKV_ACCEPT_SNAPSHOTS";

        public static void Check(string listing, string directory, string assembly, string acceptCommand)
        {
            string verified = Path.Combine(directory, assembly + ".verified.txt");
            string received = Path.Combine(directory, assembly + ".received.txt");
            if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
            {
                File.WriteAllText(verified, listing);
                File.Delete(received);
                return;
            }

            if (File.Exists(verified) && File.ReadAllText(verified).Replace("\r\n", "\n", StringComparison.Ordinal) == listing)
            {
                File.Delete(received);
                return;
            }

            File.WriteAllText(received, listing);
            Assert.Fail(
                "The public API of " + assembly + " is not the verified one"
                + (File.Exists(verified) ? string.Empty : " (there is no verified listing yet)") + ".\n"
                + "  received: " + received + "\n"
                + "  verified: " + verified + "\n"
                + "Compare them (diff -u verified received). If the change is deliberate, accept it and commit the\n"
                + "changed .verified.txt with the change that made it:\n"
                + "  " + acceptCommand);
        }

        /// <summary>The folder holding EmbedKv.sln, above the test's output directory.</summary>
        public static string RepositoryRoot()
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (!File.Exists(Path.Combine(dir.FullName, "EmbedKv.sln")))
            {
                dir = dir.Parent ?? throw new InvalidOperationException("no EmbedKv.sln above " + AppContext.BaseDirectory);
            }

            return dir.FullName;
        }
    }
}
