using System;
using System.IO;
using System.Runtime.Versioning;
using System.Text;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>statx through <see cref="FileStatus"/>: descriptors and paths, identity, and fields a filesystem leaves out.</summary>
    [SupportedOSPlatform("linux")]
    public sealed unsafe class FileStatusTests : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("embedkv-statx-");

        public void Dispose() => _dir.Delete(recursive: true);

        [Fact]
        public void ADescriptorsStatusIsItsFilesSizeModeAndType()
        {
            using var file = FileHandle.Open(Path.Combine(_dir.FullName, "f"), FileMode.CreateNew, permissions: 0x180);
            file.WriteAt(new byte[1234], 0);

            FileStatus status = FileStatus.Of(file.Descriptor.Value, Sys.STATX_TYPE | Sys.STATX_MODE | Sys.STATX_SIZE, file.Path);

            Assert.True(status.IsComplete);
            Assert.Equal(1234, status.Size);
            Assert.Equal(Sys.S_IFREG, status.Type);
            Assert.Equal((uint)File.GetUnixFileMode(file.Path), status.Permissions);
        }

        [Fact]
        public void AHardLinkIsTheSameFileAndACopyIsNot()
        {
            string original = Path.Combine(_dir.FullName, "a");
            File.WriteAllText(original, "x");
            using (var directory = DirectoryHandle.Open(_dir.FullName))
            {
                Assert.Equal(0, (int)directory.TryLink("a", directory, "link"));
            }

            File.Copy(original, Path.Combine(_dir.FullName, "copy"));

            FileStatus a = StatusOf("a");
            Assert.True(a.IsSameFile(StatusOf("link")));
            Assert.False(a.IsSameFile(StatusOf("copy")));
        }

        [Fact]
        public void AMissingPathIsEnoent()
        {
            fixed (byte* p = Encoding.UTF8.GetBytes(Path.Combine(_dir.FullName, "missing") + "\0"))
            {
                Assert.Equal(-Sys.ENOENT, (int)FileStatus.TryAt(Sys.AT_FDCWD, p, 0, Sys.STATX_TYPE, out FileStatus status));
                Assert.Equal(0u, status.Mode);
            }
        }

        [Fact]
        public void AFieldTheFilesystemLeftOutIsAnErrorNamingIt()
        {
            var statx = new Statx { Mask = Sys.STATX_TYPE | Sys.STATX_SIZE };
            var status = new FileStatus(statx, Sys.STATX_TYPE | Sys.STATX_INO | Sys.STATX_CTIME | 0x4000);

            Assert.False(status.IsComplete);
            var error = Assert.Throws<SyscallException>(() => status.ThrowIncomplete("/run/kv.sock"));
            Assert.Equal(
                "statx /run/kv.sock (the filesystem did not report the inode number, the change time, stx_mask bits 0x4000): " +
                "EOPNOTSUPP (Operation not supported)",
                error.Message);
            Assert.True(new FileStatus(statx, Sys.STATX_SIZE).IsComplete);
        }

        private FileStatus StatusOf(string name)
        {
            FileStatus status;
            fixed (byte* p = Encoding.UTF8.GetBytes(Path.Combine(_dir.FullName, name) + "\0"))
            {
                Syscall.Check(FileStatus.TryAt(Sys.AT_FDCWD, p, Sys.AT_SYMLINK_NOFOLLOW, Sys.STATX_INO, out status), "statx", name);
            }

            Assert.True(status.IsComplete);
            return status;
        }
    }
}
