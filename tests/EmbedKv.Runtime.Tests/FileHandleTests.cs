using System;
using System.IO;
using System.Linq;
using System.Runtime.Versioning;
using System.Text;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>FileHandle on real files, each test in a fresh temporary directory.</summary>
    [SupportedOSPlatform("linux")]
    public sealed class FileHandleTests : IDisposable
    {
        private const long FiveGiB = 5L << 30;

        private readonly string _directory = Path.Combine(Path.GetTempPath(), "embedkv-" + Guid.NewGuid().ToString("N"));

        public FileHandleTests() => Directory.CreateDirectory(_directory);

        public void Dispose() => Directory.Delete(_directory, recursive: true);

        [Fact]
        public void CreateNewOnAnExistingFileFailsWithEexistNamingThePath()
        {
            string path = FilePath("seg-1.log");
            using (FileHandle.Open(path, FileMode.CreateNew))
            {
            }

            var error = Assert.Throws<SyscallException>(() => FileHandle.Open(path, FileMode.CreateNew));
            Assert.Equal(Sys.EEXIST, error.Errno.Value);
            Assert.Equal("openat", error.Syscall);
            Assert.Equal("openat " + path + ": EEXIST (File exists)", error.Message);
        }

        [Fact]
        public void OpenOfAMissingFileFailsWithEnoentNamingThePath()
        {
            string path = FilePath("missing.log");
            var error = Assert.Throws<SyscallException>(() => FileHandle.Open(path, FileMode.Open));
            Assert.Equal("openat " + path + ": ENOENT (No such file or directory)", error.Message);
            Assert.Throws<SyscallException>(() => FileHandle.Open(path, FileMode.Truncate));
            Assert.False(File.Exists(path));
        }

        [Fact]
        public void ModesCreateTruncateOrKeepAsFileModeSays()
        {
            string path = FilePath("modes");
            File.WriteAllBytes(path, new byte[100]);

            using (var file = FileHandle.Open(path, FileMode.OpenOrCreate))
            {
                Assert.Equal(100, file.Length);
            }

            using (var file = FileHandle.Open(path, FileMode.Open, writable: false))
            {
                Assert.Equal(100, file.Length);
            }

            using (var file = FileHandle.Open(path, FileMode.Truncate))
            {
                Assert.Equal(0, file.Length);
            }

            File.WriteAllBytes(path, new byte[100]);
            using (var file = FileHandle.Open(path, FileMode.Create))
            {
                Assert.Equal(0, file.Length);
            }

            string created = FilePath("created");
            using (var file = FileHandle.Open(created, FileMode.OpenOrCreate, writable: false))
            {
                Assert.Equal(0, file.Length);
            }

            Assert.True(File.Exists(created));
        }

        [Fact]
        public void AppendAndReadOnlyTruncationAreRejected()
        {
            string path = FilePath("rejected");
            Assert.Throws<ArgumentException>(() => FileHandle.Open(path, FileMode.Append));

            // Linux would truncate through a read-only descriptor; FileHandle refuses to ask it to.
            File.WriteAllBytes(path, new byte[10]);
            Assert.Throws<ArgumentException>(() => FileHandle.Open(path, FileMode.Truncate, writable: false));
            Assert.Throws<ArgumentException>(() => FileHandle.Open(path, FileMode.Create, writable: false));
            Assert.Equal(10, new FileInfo(path).Length);
        }

        [Fact]
        public void CreatedFileGetsThePermissionsAskedFor()
        {
            string path = FilePath("private");
            using (FileHandle.Open(path, FileMode.CreateNew, permissions: 0x180 /* 0600 */))
            {
            }

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        [Fact]
        public void OpenedDescriptorIsCloseOnExec()
        {
            using var file = FileHandle.Open(FilePath("cloexec"), FileMode.CreateNew);
            Assert.Equal(Sys.FD_CLOEXEC, (int)Sys.Fcntl(file.Descriptor.Value, Sys.F_GETFD, 0));
        }

        [Fact]
        public void WritesAndReadsRoundTripAtOffsets()
        {
            using var file = FileHandle.Open(FilePath("data"), FileMode.CreateNew);
            byte[] first = Encoding.ASCII.GetBytes("hello");
            byte[] second = Encoding.ASCII.GetBytes("world");
            file.WriteAt(first, 0);
            file.WriteAt(second, 4096);

            Assert.Equal(4096 + second.Length, file.Length);

            byte[] buffer = new byte[5];
            Assert.Equal(5, file.ReadAt(buffer, 0));
            Assert.Equal(first, buffer);
            file.ReadExactlyAt(buffer, 4096);
            Assert.Equal(second, buffer);

            // The gap between the writes is a hole and reads as zeros.
            byte[] gap = new byte[100];
            file.ReadExactlyAt(gap, 1000);
            Assert.All(gap, b => Assert.Equal(0, b));
        }

        [Fact]
        public void SixtyFourBitOffsetsWorkInASparseFile()
        {
            string path = FilePath("sparse");
            using var file = FileHandle.Open(path, FileMode.CreateNew);
            byte[] data = Encoding.ASCII.GetBytes("past five gibibytes");
            file.WriteAt(data, FiveGiB);

            Assert.Equal(FiveGiB + data.Length, file.Length);
            Assert.Equal(FiveGiB + data.Length, new FileInfo(path).Length);

            byte[] read = new byte[data.Length];
            file.ReadExactlyAt(read, FiveGiB);
            Assert.Equal(data, read);

            // An offset that a 32-bit truncation would turn into 1 GiB reads the hole, not the data.
            byte[] hole = new byte[data.Length];
            file.ReadExactlyAt(hole, FiveGiB - (4L << 30));
            Assert.All(hole, b => Assert.Equal(0, b));
            Assert.Equal(data.Length, file.ReadAt(new byte[100], FiveGiB));
        }

        [Fact]
        public void ReadAtReturnsZeroAtAndPastTheEnd()
        {
            using var file = FileHandle.Open(FilePath("short"), FileMode.CreateNew);
            file.WriteAt(new byte[] { 1, 2, 3 }, 0);
            byte[] buffer = new byte[10];
            Assert.Equal(3, file.ReadAt(buffer, 0));
            Assert.Equal(0, file.ReadAt(buffer, 3));
            Assert.Equal(0, file.ReadAt(buffer, 1_000_000));
        }

        [Fact]
        public void ReadExactlyAtPastTheEndThrowsEndOfStreamNamingThePath()
        {
            string path = FilePath("short");
            using var file = FileHandle.Open(path, FileMode.CreateNew);
            file.WriteAt(new byte[] { 1, 2, 3 }, 0);

            var error = Assert.Throws<EndOfStreamException>(() => file.ReadExactlyAt(new byte[10], 0));
            Assert.StartsWith(path + ":", error.Message, StringComparison.Ordinal);
            Assert.Contains("ends at 3", error.Message, StringComparison.Ordinal);
            Assert.Throws<EndOfStreamException>(() => file.ReadExactlyAt(new byte[1], 3));

            // Exactly up to the end is fine.
            byte[] all = new byte[3];
            file.ReadExactlyAt(all, 0);
            Assert.Equal(new byte[] { 1, 2, 3 }, all);
        }

        [Fact]
        public void TruncateShrinksAndExtends()
        {
            using var file = FileHandle.Open(FilePath("truncate"), FileMode.CreateNew);
            file.WriteAt(Enumerable.Repeat((byte)7, 1000).ToArray(), 0);
            file.Truncate(10);
            Assert.Equal(10, file.Length);
            Assert.Equal(10, file.ReadAt(new byte[1000], 0));

            file.Truncate(FiveGiB);
            Assert.Equal(FiveGiB, file.Length);
            byte[] tail = new byte[16];
            file.ReadExactlyAt(tail, FiveGiB - 16);
            Assert.All(tail, b => Assert.Equal(0, b));
            Assert.Throws<ArgumentOutOfRangeException>(() => file.Truncate(-1));
        }

        [Fact]
        public void SyncsSucceed()
        {
            using var file = FileHandle.Open(FilePath("sync"), FileMode.CreateNew);
            file.WriteAt(new byte[] { 42 }, 0);
            file.DataSync();
            file.Sync();
            Assert.Equal(0, (int)file.TryDataSync());
        }

        [Fact]
        public void AllocateReservesAndExtends()
        {
            using var file = FileHandle.Open(FilePath("allocated"), FileMode.CreateNew);
            if (!file.TryAllocate(0, 1 << 20))
            {
                // Possible on filesystems without fallocate; then Allocate reports EOPNOTSUPP.
                var error = Assert.Throws<SyscallException>(() => file.Allocate(0, 1 << 20));
                Assert.Equal(Sys.EOPNOTSUPP, error.Errno.Value);
                return;
            }

            Assert.Equal(1 << 20, file.Length);
            file.Allocate(FiveGiB, 4096);
            Assert.Equal(FiveGiB + 4096, file.Length);
        }

        [Fact]
        public void AdviseSequentialIsAHint()
        {
            using var file = FileHandle.Open(FilePath("advised"), FileMode.CreateNew);
            file.AdviseSequential();
            file.Dispose();
            file.AdviseSequential();
        }

        [Fact]
        public void WriteToAReadOnlyFileFailsWithEbadf()
        {
            string path = FilePath("readonly");
            File.WriteAllBytes(path, new byte[] { 1 });
            using var file = FileHandle.Open(path, FileMode.Open, writable: false);
            var error = Assert.Throws<SyscallException>(() => file.WriteAt(new byte[] { 2 }, 0));
            Assert.Equal("pwrite64 " + path + ": EBADF (Bad file descriptor)", error.Message);
            Assert.Equal(-Sys.EBADF, (int)file.TryWriteAt(new byte[] { 2 }, 0));
        }

        [Fact]
        public void TryVariantsReportErrnoAndOthersThrowOnceDisposed()
        {
            var file = FileHandle.Open(FilePath("disposed"), FileMode.CreateNew);
            Assert.Equal(3, (int)file.TryWriteAt(new byte[] { 1, 2, 3 }, 0));
            Assert.Equal(-Sys.EINVAL, (int)file.TryWriteAt(new byte[] { 1 }, -1));
            Assert.Equal(0, (int)file.TryWriteAt(ReadOnlySpan<byte>.Empty, 0));
            file.Dispose();
            file.Dispose();

            Assert.Equal(-Sys.EBADF, (int)file.TryWriteAt(new byte[] { 1 }, 0));
            Assert.Equal(-Sys.EBADF, (int)file.TryDataSync());
            Assert.Throws<ObjectDisposedException>(() => file.ReadAt(new byte[1], 0));
            Assert.Throws<ObjectDisposedException>(() => file.WriteAt(new byte[1], 0));
            Assert.Throws<ObjectDisposedException>(() => file.Length);
        }

        [Fact]
        public void NonAsciiAndLongPathsWork()
        {
            // Over 512 UTF-8 bytes takes the rented-buffer path; each component stays under NAME_MAX.
            string deep = _directory;
            while (Encoding.UTF8.GetByteCount(deep) <= 600)
            {
                deep = Path.Combine(deep, "dossier-\u00e9\u00e8-" + new string('d', 60));
            }

            Directory.CreateDirectory(deep);
            string path = Path.Combine(deep, "\u5b58\u50a8-\U0001F5C4.log");
            using (var file = FileHandle.Open(path, FileMode.CreateNew))
            {
                file.WriteAt(new byte[] { 9 }, 0);
                Assert.Equal(path, file.Path);
            }

            Assert.Equal(new byte[] { 9 }, File.ReadAllBytes(path));
            var error = Assert.Throws<SyscallException>(() => FileHandle.Open(path, FileMode.CreateNew));
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }

        [Fact]
        public void InvalidPathsAreRejectedBeforeTheKernelSeesThem()
        {
            Assert.Throws<ArgumentException>(() => FileHandle.Open(FilePath("a\0b"), FileMode.CreateNew));
            Assert.Throws<ArgumentException>(() => FileHandle.Open(string.Empty, FileMode.CreateNew));
            Assert.ThrowsAny<ArgumentException>(() => FileHandle.Open(FilePath("lone-\ud800"), FileMode.CreateNew));
            Assert.Empty(Directory.GetFiles(_directory));
        }

        [Fact]
        public void HotPathCallsAllocateNothing()
        {
            using var file = FileHandle.Open(FilePath("hot"), FileMode.CreateNew);
            Span<byte> block = stackalloc byte[512];
            block.Fill(0x5A);
            Span<byte> read = stackalloc byte[512];

            for (int i = 0; i < 200; i++)
            {
                RunHotPath(file, block, read, i);
            }

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 10_000; i++)
            {
                RunHotPath(file, block, read, i);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Equal(0, allocated);
            Assert.Equal(64 * 512, file.Length);
        }

        private static void RunHotPath(FileHandle file, ReadOnlySpan<byte> block, Span<byte> read, int i)
        {
            long offset = (i % 64) * 512L;
            file.WriteAt(block, offset);
            file.ReadAt(read, offset);
            file.ReadExactlyAt(read, offset);
            file.TryWriteAt(block, offset);
            _ = file.Length;
        }

        private string FilePath(string name) => Path.Combine(_directory, name);
    }
}
