using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Runtime.Versioning;
using System.Text;
using System.Threading;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;
using Xunit.Abstractions;

namespace EmbedKv.Runtime.Tests
{
    /// <summary>DirectoryHandle on real directories, each test in a fresh temporary directory.</summary>
    [SupportedOSPlatform("linux")]
    public sealed class DirectoryHandleTests : IDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), "embedkv-" + Guid.NewGuid().ToString("N"));
        private readonly ITestOutputHelper _output;

        public DirectoryHandleTests(ITestOutputHelper output)
        {
            _output = output;
            Directory.CreateDirectory(_root);
        }

        public void Dispose() => Directory.Delete(_root, recursive: true);

        [Fact]
        public void OpenWithCreateMakesMissingParentsLikeMkdirP()
        {
            string path = Path.Combine(_root, "a", "b", "c");
            using (var directory = DirectoryHandle.Open(path + "/", create: true))
            {
                Assert.Equal(path, directory.Path);
                Assert.True(Directory.Exists(path));
            }

            // Existing directories are fine, and get the default mode (0755 before a umask of 022 or less).
            using (DirectoryHandle.Open(path, create: true))
            {
            }

            UnixFileMode mode = File.GetUnixFileMode(Path.Combine(_root, "a"));
            Assert.Equal(0, (int)mode & ~0x1ED);
            const UnixFileMode Owner = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            Assert.Equal(Owner, mode & Owner);
        }

        [Fact]
        public void OpenOfAMissingDirectoryFailsWithEnoent()
        {
            string path = Path.Combine(_root, "missing");
            var error = Assert.Throws<SyscallException>(() => DirectoryHandle.Open(path));
            Assert.Equal("openat " + path + ": ENOENT (No such file or directory)", error.Message);
            Assert.False(Directory.Exists(path));
        }

        [Fact]
        public void OpenOfAFileFailsWithEnotdir()
        {
            string path = Path.Combine(_root, "file");
            File.WriteAllText(path, "x");
            var error = Assert.Throws<SyscallException>(() => DirectoryHandle.Open(path, create: true));
            Assert.Equal("openat " + path + ": ENOTDIR (Not a directory)", error.Message);

            var below = Assert.Throws<SyscallException>(() => DirectoryHandle.Open(Path.Combine(path, "sub"), create: true));
            Assert.Equal("mkdirat " + Path.Combine(path, "sub") + ": ENOTDIR (Not a directory)", below.Message);
        }

        [Fact]
        public void OpenFileNamesTheFileAfterTheDirectory()
        {
            using var directory = DirectoryHandle.Open(_root);
            using (var file = directory.OpenFile("seg-1.log", FileMode.CreateNew))
            {
                Assert.Equal(_root + "/seg-1.log", file.Path);
                file.WriteAt(new byte[] { 1, 2, 3 }, 0);
            }

            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(Path.Combine(_root, "seg-1.log")));
            var error = Assert.Throws<SyscallException>(() => directory.OpenFile("seg-2.log", FileMode.Open));
            Assert.Equal("openat " + _root + "/seg-2.log: ENOENT (No such file or directory)", error.Message);

            using var readOnly = directory.OpenFile("seg-1.log", FileMode.Open, writable: false);
            Assert.Equal(3, readOnly.Length);
        }

        [Fact]
        public void NamesMustBePlainNames()
        {
            Directory.CreateDirectory(Path.Combine(_root, "sub"));
            using var directory = DirectoryHandle.Open(_root);
            foreach (string bad in new[] { string.Empty, ".", "..", "sub/file", "/etc/passwd" })
            {
                Assert.Throws<ArgumentException>(() => directory.OpenFile(bad, FileMode.OpenOrCreate));
                Assert.Throws<ArgumentException>(() => directory.Exists(bad));
                Assert.Throws<ArgumentException>(() => directory.TryDelete(bad));
                Assert.Throws<ArgumentException>(() => directory.Rename(bad, "x"));
                Assert.Throws<ArgumentException>(() => directory.Rename("x", bad));
            }
        }

        [Fact]
        public void FilesOpenRelativeToTheDirectoryEvenAfterItIsRenamed()
        {
            string before = Path.Combine(_root, "before");
            using var directory = DirectoryHandle.Open(before, create: true);
            Directory.Move(before, Path.Combine(_root, "after"));

            using (directory.OpenFile("inside", FileMode.CreateNew))
            {
            }

            Assert.True(File.Exists(Path.Combine(_root, "after", "inside")));
            Assert.Equal(new[] { "inside" }, directory.ListFiles());
        }

        [Fact]
        public void RenameReplacesTheTarget()
        {
            using var directory = DirectoryHandle.Open(_root);
            File.WriteAllText(Path.Combine(_root, "manifest.tmp"), "new");
            File.WriteAllText(Path.Combine(_root, "manifest"), "old");

            // A descriptor open on the replaced file keeps reading the old inode.
            using var old = directory.OpenFile("manifest", FileMode.Open, writable: false);
            directory.Rename("manifest.tmp", "manifest");
            directory.Sync();

            Assert.False(directory.Exists("manifest.tmp"));
            Assert.Equal("new", File.ReadAllText(Path.Combine(_root, "manifest")));
            byte[] buffer = new byte[3];
            old.ReadExactlyAt(buffer, 0);
            Assert.Equal("old", Encoding.ASCII.GetString(buffer));
        }

        [Fact]
        public void RenameIsAtomicForConcurrentReaders()
        {
            using var directory = DirectoryHandle.Open(_root);
            WriteVersion(directory, "current", 0);

            int misses = 0;
            int reads = 0;
            Exception? failure = null;
            using var stop = new ManualResetEventSlim();
            var reader = new Thread(() =>
            {
                byte[] buffer = new byte[8];
                while (!stop.IsSet)
                {
                    try
                    {
                        using var file = directory.OpenFile("current", FileMode.Open, writable: false);
                        file.ReadExactlyAt(buffer, 0);
                        reads++;
                    }
                    catch (SyscallException error) when (error.Errno.Value == Sys.ENOENT)
                    {
                        misses++;
                    }
                    catch (Exception error)
                    {
                        // Anything else unhandled on this thread would end the test process.
                        failure = error;
                        return;
                    }
                }
            });
            reader.Start();

            for (int version = 1; version <= 2000; version++)
            {
                WriteVersion(directory, "next", version);
                directory.Rename("next", "current");
            }

            stop.Set();
            reader.Join();
            Assert.Null(failure);
            Assert.Equal(0, misses);
            Assert.True(reads > 0);
            Assert.Equal(new[] { "current" }, directory.ListFiles());
        }

        [Fact]
        public void RenameOfAMissingFileNamesBothPaths()
        {
            using var directory = DirectoryHandle.Open(_root);
            var error = Assert.Throws<SyscallException>(() => directory.Rename("from", "to"));
            Assert.Equal("renameat2 " + _root + "/from -> " + _root + "/to: ENOENT (No such file or directory)", error.Message);
        }

        [Fact]
        public void DeleteTryDeleteAndExists()
        {
            using var directory = DirectoryHandle.Open(_root);
            Assert.False(directory.Exists("doomed"));
            using (directory.OpenFile("doomed", FileMode.CreateNew))
            {
            }

            Assert.True(directory.Exists("doomed"));
            directory.Delete("doomed");
            Assert.False(directory.Exists("doomed"));
            Assert.False(File.Exists(Path.Combine(_root, "doomed")));

            var error = Assert.Throws<SyscallException>(() => directory.Delete("doomed"));
            Assert.Equal("unlinkat " + _root + "/doomed: ENOENT (No such file or directory)", error.Message);
            Assert.False(directory.TryDelete("doomed"));

            File.WriteAllText(Path.Combine(_root, "again"), "x");
            Assert.True(directory.TryDelete("again"));
            Assert.False(directory.Exists("again"));

            Directory.CreateDirectory(Path.Combine(_root, "subdirectory"));
            Assert.True(directory.Exists("subdirectory"));
            var isDirectory = Assert.Throws<SyscallException>(() => directory.TryDelete("subdirectory"));
            Assert.Equal(Sys.EISDIR, isDirectory.Errno.Value);
        }

        [Fact]
        public void ExistsSeesADanglingSymbolicLinkThatListFilesLeavesOut()
        {
            File.CreateSymbolicLink(Path.Combine(_root, "dangling"), Path.Combine(_root, "nowhere"));
            using var directory = DirectoryHandle.Open(_root);
            Assert.True(directory.Exists("dangling"));
            Assert.Empty(directory.ListFiles());
            Assert.Throws<SyscallException>(() => directory.FileLength("dangling"));
        }

        [Fact]
        public void FileLengthIsTheSize()
        {
            File.WriteAllBytes(Path.Combine(_root, "sized"), new byte[1234]);
            using var directory = DirectoryHandle.Open(_root);
            Assert.Equal(1234, directory.FileLength("sized"));
            var error = Assert.Throws<SyscallException>(() => directory.FileLength("unsized"));
            Assert.Equal("statx " + _root + "/unsized: ENOENT (No such file or directory)", error.Message);
        }

        [Fact]
        public void ListFilesSeesExactlyTheCreatedFilesOverSeveralReads()
        {
            using var directory = DirectoryHandle.Open(_root);
            Assert.Empty(directory.ListFiles());

            // Long names, so the entries (19 header bytes + name + NUL, 8-aligned) need several 32 KiB getdents64 reads.
            var expected = new List<string>();
            for (int i = 0; i < 300; i++)
            {
                string name = "segment-" + i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + "-" + new string('x', 180) + ".log";
                expected.Add(name);
                using (directory.OpenFile(name, FileMode.CreateNew))
                {
                }
            }

            long direntBytes = expected.Sum(n => (19 + Encoding.UTF8.GetByteCount(n) + 1 + 7) & ~7);
            Assert.True(direntBytes > 2 * 32 * 1024, "the names must not fit two reads");

            Directory.CreateDirectory(Path.Combine(_root, "not-a-file"));
            File.CreateSymbolicLink(Path.Combine(_root, "link"), expected[0]);
            expected.Add("\u00e9t\u00e9.log");
            File.WriteAllText(Path.Combine(_root, "\u00e9t\u00e9.log"), "summer");

            expected.Sort(StringComparer.Ordinal);
            Assert.Equal(expected, directory.ListFiles());

            // A second listing rewinds and sees the same.
            directory.Delete(expected[5]);
            expected.RemoveAt(5);
            Assert.Equal(expected, directory.ListFiles());
        }

        [Fact]
        public unsafe void EntriesOfUnknownTypeAreLookedUp()
        {
            // ext4 and tmpfs always fill in d_type; some filesystems report DT_UNKNOWN (0) for everything,
            // so fake such a getdents64 buffer: a file, a directory, a name that vanished, and "..".
            File.WriteAllText(Path.Combine(_root, "file"), "x");
            Directory.CreateDirectory(Path.Combine(_root, "directory"));
            byte[] records = Records(("file", 0), ("directory", 0), ("vanished", 0), ("..", 0), ("typed", 8));

            using var directory = DirectoryHandle.Open(_root);
            var names = new List<string>();
            fixed (byte* p = records)
            {
                directory.AddFiles(directory.Descriptor.Value, p, records.Length, names);
            }

            Assert.Equal(new[] { "file", "typed" }, names);
        }

        [Fact]
        public void SyncOfTheDirectorySucceeds()
        {
            using var directory = DirectoryHandle.Open(Path.Combine(_root, "durable"), create: true);
            using (var file = directory.OpenFile("created", FileMode.CreateNew))
            {
                file.Sync();
            }

            directory.Sync();
        }

        [Fact]
        public void SecondOpenInTheSameProcessCannotLockWhileTheFirstHoldsIt()
        {
            using var first = DirectoryHandle.Open(_root);
            using var second = DirectoryHandle.Open(_root);

            Assert.True(first.TryLockExclusive());
            Assert.True(first.TryLockExclusive()); // Again through the same handle: still ours.

            // flock locks belong to the open file description, so a second open conflicts even in one process.
            Assert.False(second.TryLockExclusive());

            first.Dispose();
            Assert.True(second.TryLockExclusive());
        }

        [Fact]
        public void AnotherProcessCannotLockWhileAHandleHoldsIt()
        {
            string? flock = FindOnPath("flock");
            if (flock is null)
            {
                _output.WriteLine("skipped: flock(1) from util-linux is not on PATH, so no child process can try the lock.");
                return;
            }

            using var directory = DirectoryHandle.Open(_root);
            Assert.True(directory.TryLockExclusive());
            Assert.Equal(99, RunFlock(flock, _root));

            directory.Dispose();
            Assert.Equal(0, RunFlock(flock, _root));
        }

        // struct linux_dirent64 records: d_ino, d_off, d_reclen, d_type, NUL-terminated d_name, 8-aligned.
        private static byte[] Records(params (string Name, byte Type)[] entries)
        {
            var bytes = new List<byte>();
            foreach ((string name, byte type) in entries)
            {
                byte[] utf8 = Encoding.UTF8.GetBytes(name);
                int length = (19 + utf8.Length + 1 + 7) & ~7;
                var record = new byte[length];
                BitConverter.GetBytes(1L).CopyTo(record, 0);
                BitConverter.GetBytes((long)(bytes.Count + length)).CopyTo(record, 8);
                BitConverter.GetBytes((ushort)length).CopyTo(record, 16);
                record[18] = type;
                utf8.CopyTo(record, 19);
                bytes.AddRange(record);
            }

            return bytes.ToArray();
        }

        private static void WriteVersion(DirectoryHandle directory, string name, long version)
        {
            using var file = directory.OpenFile(name, FileMode.Create);
            file.WriteAt(BitConverter.GetBytes(version), 0);
        }

        // flock -n exits with the conflict code (99 here) if it cannot take the lock, else runs `true`.
        private static int RunFlock(string flock, string path)
        {
            var start = new ProcessStartInfo(flock) { RedirectStandardError = true, UseShellExecute = false };
            foreach (string argument in new[] { "--nonblock", "--exclusive", "--conflict-exit-code", "99", path, "true" })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            string errors = process.StandardError.ReadToEnd();
            Assert.True(process.WaitForExit(30_000), "flock did not finish");
            Assert.True(process.ExitCode is 0 or 99, "flock failed: " + errors);
            return process.ExitCode;
        }

        private static string? FindOnPath(string program)
            => (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Select(directory => Path.Combine(directory, program))
                .FirstOrDefault(File.Exists);
    }
}
