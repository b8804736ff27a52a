using System;
using System.IO;
using System.Runtime.Versioning;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>Modes (fchmod, statx), hard links (linkat) and range copies (copy_file_range or a buffer) on real files.</summary>
    [SupportedOSPlatform("linux")]
    public sealed class LinkAndCopyTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "embedkv-" + Guid.NewGuid().ToString("N"));

        public LinkAndCopyTests() => Directory.CreateDirectory(_root);

        public void Dispose() => Directory.Delete(_root, recursive: true);

        [Fact]
        public void CreateGivesANewDirectoryExactlyItsModeAndLeavesAnExistingOneAlone()
        {
            string path = Path.Combine(_root, "new");
            using (var directory = DirectoryHandle.Create(path, 0x1C0, out bool created))
            {
                Assert.True(created);
                Assert.Equal(0x1C0u, directory.Permissions);
                Assert.True(directory.IsEmpty());
                directory.SetPermissions(0x1ED);
            }

            using (var again = DirectoryHandle.Create(path, 0x1C0, out bool created))
            {
                Assert.False(created);
                Assert.Equal(0x1EDu, again.Permissions);
            }

            Assert.Equal(0, (int)DirectoryHandle.TryRemoveEmpty(path));
            Assert.False(Directory.Exists(path));
        }

        [Fact]
        public void SetPermissionsIsExactAndPermissionsReadsItBack()
        {
            using var file = FileHandle.Open(Path.Combine(_root, "f"), FileMode.CreateNew, permissions: 0x100);
            file.SetPermissions(0x180);
            Assert.Equal(0x180u, file.Permissions);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file.Path));
        }

        [Fact]
        public void TryLinkSharesTheFileAndReportsErrnosWithoutThrowing()
        {
            using var directory = DirectoryHandle.Open(_root);
            using var target = DirectoryHandle.Create(Path.Combine(_root, "target"), 0x1C0, out _);
            using (var file = directory.OpenFile("a", FileMode.CreateNew))
            {
                file.WriteAt("shared"u8, 0);
            }

            Assert.Equal(0, (int)directory.TryLink("a", target, "a"));
            Assert.False(target.IsEmpty());
            Assert.Equal("shared", File.ReadAllText(Path.Combine(_root, "target", "a")));
            Assert.Equal(-Sys.EEXIST, (int)directory.TryLink("a", target, "a"));
            Assert.Equal(-Sys.ENOENT, (int)directory.TryLink("missing", target, "b"));
        }

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public void CopyCopiesARangeInTheKernelOrThroughABuffer(bool inKernel)
        {
            byte[] bytes = new byte[3_000_000];
            new Random(1).NextBytes(bytes);
            using var source = FileHandle.Open(Path.Combine(_root, "source"), FileMode.CreateNew);
            using var target = FileHandle.Open(Path.Combine(_root, "target"), FileMode.CreateNew);
            source.WriteAt(bytes, 0);

            long kernel = FileRangeCopy.Copy(source.Descriptor, 100, target.Descriptor, 0, bytes.Length - 200, "source -> target", inKernel);
            Assert.True(inKernel || kernel == 0);
            Assert.Equal(bytes.Length - 200, target.Length);
            Assert.Equal(bytes.AsSpan(100, bytes.Length - 200).ToArray(), File.ReadAllBytes(target.Path));
            Assert.Throws<EndOfStreamException>(() => FileRangeCopy.Copy(source.Descriptor, bytes.Length - 10, target.Descriptor, 0, 20, "past the end", inKernel));
        }
    }
}
