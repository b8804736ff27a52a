// Where the linux-arm64 tests find qemu-user and the arm64 libraries a published program loads; linked into
// the test projects that run arm64 programs, so the paths and the "install it" message are written once.
using System.IO;

namespace EmbedKv.Server.Tests.Infrastructure
{
    /// <summary>Debian's qemu-user and the arm64 cross libraries, as .ci/run installs them.</summary>
    internal static class Arm64Emulator
    {
        /// <summary>Debian's qemu-aarch64 (package qemu-user), which runs one arm64 Linux program on this machine.</summary>
        public const string Path = "/usr/bin/qemu-aarch64";

        /// <summary>
        /// The arm64 system root (libc6-arm64-cross, libstdc++6-arm64-cross): qemu's <c>-L</c>, where the emulated
        /// program's loader, glibc, libstdc++ and libgcc_s come from.
        /// </summary>
        public const string SysRoot = "/usr/aarch64-linux-gnu";

        /// <summary>
        /// The emulator's path; fails the test, never skips it, when qemu or the arm64 libraries are missing,
        /// since the arm64 stubs are proven only by running them.
        /// </summary>
        public static string Require()
        {
            Assert.True(
                File.Exists(Path) && File.Exists(System.IO.Path.Combine(SysRoot, "lib", "ld-linux-aarch64.so.1")),
                "qemu-aarch64 or the arm64 libraries are missing: apt-get install qemu-user libc6-arm64-cross libstdc++6-arm64-cross (.ci/run does)");
            return Path;
        }
    }
}
