// Verify.Xunit cannot be restored here, so this is a small stand-in with its file convention:
// <name>.verified.<ext> is checked in; a mismatch writes <name>.received.<ext> beside it and fails.
using System;
using System.IO;

namespace EmbedKv.Generators.Tests.Infrastructure
{
    /// <summary>Compares text with a checked-in snapshot under tests/EmbedKv.Generators.Tests/Snapshots.</summary>
    internal static class Snapshot
    {
        /// <summary>Set to 1 to accept every received output as the new verified snapshot.</summary>
        public const string AcceptVariable = "EMBEDKV_ACCEPT_SNAPSHOTS";

        public static void Match(string actual, string name, string extension)
        {
            string? failure = Compare(actual, name, extension);
            if (failure is not null)
            {
                Assert.Fail(failure);
            }
        }

        /// <summary>Like <see cref="Match"/>, but returns the failure text (or null) so that callers can check several files first.</summary>
        public static string? Compare(string actual, string name, string extension)
        {
            string directory = Path.Combine(RepositoryPaths.TestProject, "Snapshots");
            string verified = Path.Combine(directory, name + ".verified." + extension);
            string received = Path.Combine(directory, name + ".received." + extension);
            actual = Normalize(actual);

            if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
            {
                Directory.CreateDirectory(directory);
                File.WriteAllText(verified, actual);
                File.Delete(received);
                return null;
            }

            string? expected = File.Exists(verified) ? Normalize(File.ReadAllText(verified)) : null;
            if (expected == actual)
            {
                File.Delete(received);
                return null;
            }

            File.WriteAllText(received, actual);
            string why = expected is null ? "no verified snapshot exists" : "the output differs from the verified snapshot";
            return
                "Snapshot '" + name + "': " + why + ".\n"
                + "  received: " + received + "\n"
                + "  verified: " + verified + "\n"
                + "Compare them; if the received output is right, rerun with " + AcceptVariable + "=1 to accept it.";
        }

        private static string Normalize(string text) => text.Replace("\r\n", "\n").TrimStart('\uFEFF');
    }
}
