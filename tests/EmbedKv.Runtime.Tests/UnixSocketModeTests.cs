using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Net;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>
    /// The socket file's mode is the one asked for, whatever the umask. The umask is the process's, so
    /// these tests run alone (<see cref="UnixSocketModeCollection"/>) and put it back.
    /// </summary>
    [Collection(UnixSocketModeCollection.Name)]
    public sealed partial class UnixSocketModeTests : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("embedkv-unix-mode-");

        public void Dispose() => _dir.Delete(recursive: true);

        [Theory]
        [InlineData(0x000, 0x1B0)] // umask 000: without the chmod the socket would be 0777
        [InlineData(0x03F, 0x1B0)] // umask 077: without the chmod the group could not connect
        [InlineData(0x000, 0x180)] // 0600: the owner only
        [InlineData(0x012, 0x1FF)] // 0777 asked for, under the usual umask 022
        public void TheModeIsSetExactlyWhateverTheUmask(uint umask, uint mode)
        {
            string path = Path.Combine(_dir.FullName, "kv.sock");
            uint previous = Umask(umask);
            try
            {
                using UnixListener listener = mode == UnixListeningSocket.DefaultMode
                    ? UnixListeningSocket.Open(path)
                    : UnixListeningSocket.Open(path, mode);
                Assert.Equal(Convert.ToString(mode, 8), Convert.ToString(PermissionsOf(path), 8));
            }
            finally
            {
                Umask(previous);
            }
        }

        [Fact]
        public void AModeBeyondPermissionBitsIsRefusedBeforeAnythingIsCreated()
        {
            string path = Path.Combine(_dir.FullName, "kv.sock");
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => UnixListeningSocket.Open(path, 0xDB0)); // 06660
            Assert.Contains("0 to 0777", error.Message, StringComparison.Ordinal);
            Assert.False(File.Exists(path));
        }

        private static unsafe uint PermissionsOf(string path)
        {
            FileStatus status;
            fixed (byte* p = Encoding.UTF8.GetBytes(path + "\0"))
            {
                Syscall.Check(FileStatus.TryAt(Sys.AT_FDCWD, p, Sys.AT_SYMLINK_NOFOLLOW, Sys.STATX_MODE, out status), "statx", path);
            }

            Assert.True(status.IsComplete, "statx reported no mode");
            return status.Permissions;
        }

        [LibraryImport("libc", EntryPoint = "umask")]
        private static partial uint Umask(uint mask);
    }

    /// <summary>Runs <see cref="UnixSocketModeTests"/> apart from every other test: they change the process's umask.</summary>
    [CollectionDefinition(Name, DisableParallelization = true)]
    public sealed class UnixSocketModeCollection
    {
        /// <summary>The collection's name.</summary>
        public const string Name = "umask";
    }
}
