// Where the linux-arm64 tests find qemu-user and the arm64 libraries a published program loads; linked into
// the test projects that run arm64 programs (the host end to end, the package's consumer), so the paths and
// the "install it" message are written once.
using System.IO;
using EmbedKv.Server.Tests.Security;

namespace EmbedKv.Server.Tests.Infrastructure
{
    /// <summary>
    /// qemu-aarch64 (user-mode emulation: arm64 code translated, its syscalls passed to this x86_64 kernel) and
    /// the arm64 libraries it loads a dynamically linked program with. .ci/run installs both, so a missing one
    /// fails the test with what to install instead of skipping it: a skipped arm64 test would look like a passing one.
    /// </summary>
    internal static class Arm64Emulator
    {
        /// <summary>Debian's arm64 cross libraries: qemu's -L prefix, under which it finds /lib/ld-linux-aarch64.so.1.</summary>
        public const string SysRoot = "/usr/aarch64-linux-gnu";

        private const string InstallHint =
            "install qemu-user, libc6-arm64-cross and libstdc++6-arm64-cross (e.g. `apt-get install qemu-user libc6-arm64-cross " +
            "libstdc++6-arm64-cross`; .ci/run installs them) to run the arm64 tests";

        /// <summary>The emulator's path (Debian's qemu-user), or its bare name when it is not installed.</summary>
        public static string Qemu => ExternalTools.Find("qemu-aarch64", "/usr/bin/qemu-aarch64") ?? "qemu-aarch64";

        /// <summary>What is missing for running arm64 programs here, or null if nothing is.</summary>
        public static string? Missing()
        {
            if (ExternalTools.Find("qemu-aarch64", "/usr/bin/qemu-aarch64") is null)
            {
                return "qemu-aarch64 is not installed";
            }

            // The apphost and libcoreclr.so need glibc's loader and libstdc++, and the stub page libgcc_s's __clear_cache.
            foreach (string library in new[] { "ld-linux-aarch64.so.1", "libc.so.6", "libstdc++.so.6", "libgcc_s.so.1" })
            {
                string path = Path.Combine(SysRoot, "lib", library);
                if (!File.Exists(path))
                {
                    return "the arm64 library " + path + " is not installed";
                }
            }

            return null;
        }

        /// <summary>The emulator's path; fails the calling test, with what to install, when anything is missing.</summary>
        public static string Require()
        {
            string? missing = Missing();
            Assert.True(missing is null, missing + ": " + InstallHint);
            return Qemu;
        }
    }
}
