using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Host.Tests.Infrastructure;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage;

namespace EmbedKv.Host.Tests
{
    /// <summary>
    /// <c>embedkv check [--repair]</c> as a child process on stores written with KvStore and damaged by
    /// hand: the finding lines name file and offset, and the exit code tells clean (0), damaged (1), bad
    /// setting (2) and cannot check (3) apart.
    /// </summary>
    public sealed class CheckCommandTests : IDisposable
    {
        private const string FirstSegment = "seg-00000001.log";
        private const int SegmentHeaderSize = 24;
        private const byte SealFlag = 2;
        private const int RecordHeaderSize = 24;

        private readonly TempDirectory _dir = new TempDirectory();

        public CheckCommandTests() => Data = Path.Combine(_dir.Path, "data");

        private string Data { get; }

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void ACleanStoreExitsWith0AndPrintsTheSummary()
        {
            WriteStore(20);

            using HostProcess check = Run("check", "--data", Data);

            Assert.True(check.WaitForExit() == 0, check.Describe());
            Assert.Equal(new[] { "checking " + Data, "summary: 1 segment, 20 records, 20 keys, " + Length(FirstSegment) + " bytes; no findings; clean" }, check.Stdout);
            Assert.Empty(check.Stderr);
        }

        [Fact]
        public void DamageExitsWith1WithOneLineNamingFileAndOffset()
        {
            WriteStore(20);
            long bad = RecordOffsets(FirstSegment)[5];
            FlipByte(Path.Combine(Data, FirstSegment), bad + RecordHeaderSize + 5);
            byte[] damaged = File.ReadAllBytes(Path.Combine(Data, FirstSegment));

            using HostProcess check = Run("check", "--data", Data);

            Assert.True(check.WaitForExit() == 1, check.Describe());
            string line = Assert.Single(check.Stdout, l => l.StartsWith("damaged: ", StringComparison.Ordinal));
            Assert.StartsWith("damaged: " + FirstSegment + " at offset " + bad + ": CRC mismatch", line, StringComparison.Ordinal);
            Assert.EndsWith("; 1 damaged; damaged", check.Stdout[^1], StringComparison.Ordinal);
            Assert.Equal(damaged, File.ReadAllBytes(Path.Combine(Data, FirstSegment)));
        }

        [Fact]
        public void ATornTailAndLeftoversAreReportedButExitWith0()
        {
            WriteStore(20);
            long last = RecordOffsets(FirstSegment)[^1];
            using (var stream = new FileStream(Path.Combine(Data, FirstSegment), FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(last + RecordHeaderSize + 1); // a crash inside the last record's key
            }

            File.WriteAllBytes(Path.Combine(Data, "seg-00000009.partial"), new byte[10]);

            using HostProcess check = Run("check", "--data", Data);

            Assert.True(check.WaitForExit() == 0, check.Describe());
            Assert.Contains(check.Stdout, l => l.StartsWith("torn tail: " + FirstSegment + " at offset " + last + ": ", StringComparison.Ordinal));
            Assert.Contains(check.Stdout, l => l.StartsWith("leftover: seg-00000009.partial: ", StringComparison.Ordinal));
            Assert.EndsWith("; 1 torn tail, 1 leftover; clean", check.Stdout[^1], StringComparison.Ordinal);
        }

        [Fact]
        public void RepairMovesTheSegmentAsideAndTheServedStoreHasEveryRecordBeforeTheDamage()
        {
            Dictionary<string, byte[]> values = WriteStore(20);
            long bad = RecordOffsets(FirstSegment)[12];
            FlipByte(Path.Combine(Data, FirstSegment), bad + 2);
            byte[] damaged = File.ReadAllBytes(Path.Combine(Data, FirstSegment));

            using (HostProcess repair = Run("check", "--data", Data, "--repair"))
            {
                Assert.True(repair.WaitForExit() == 0, repair.Describe());
                Assert.Contains(repair.Stdout, l => l.StartsWith("damaged: " + FirstSegment + " at offset " + bad + ": ", StringComparison.Ordinal));
                Assert.Contains(repair.Stdout, l => l.StartsWith("repair: wrote seg-00000002.log: the 12 valid records of " + FirstSegment, StringComparison.Ordinal));
                Assert.Contains(repair.Stdout, l => l.StartsWith("repair: moved " + FirstSegment + " aside to " + FirstSegment + ".damaged-", StringComparison.Ordinal));
                Assert.EndsWith("; 1 set aside; clean", repair.Stdout[^1], StringComparison.Ordinal);
            }

            string aside = Assert.Single(Directory.GetFiles(Data, FirstSegment + ".damaged-*"));
            Assert.Equal(damaged, File.ReadAllBytes(aside));

            using (HostProcess again = Run("check", "--data", Data))
            {
                Assert.True(again.WaitForExit() == 0, again.Describe());
                Assert.EndsWith("12 records, 12 keys, " + Length("seg-00000002.log") + " bytes; 1 set aside; clean", again.Stdout[^1], StringComparison.Ordinal);
            }

            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = Data });
            for (int i = 0; i < 20; i++)
            {
                Assert.Equal(i < 12 ? values["k" + i] : null, store.Get(Key("k" + i)));
            }
        }

        [Fact]
        public void CheckAndRepairExitWith3WhileAServerHoldsTheDirectory()
        {
            WriteStore(3);
            using HostProcess server = HostProcess.Start(_dir.Path, new[] { "--port", "0", "--data", Data });
            server.WaitForListening();
            string[] before = Directory.GetFiles(Data).Order(StringComparer.Ordinal).ToArray();

            foreach (string[] args in new[] { new[] { "check", "--data", Data }, new[] { "check", "--data", Data, "--repair" } })
            {
                using HostProcess check = Run(args);
                Assert.True(check.WaitForExit() == 3, check.Describe());
                Assert.Empty(check.Stdout);
                string error = Assert.Single(check.Stderr);
                Assert.StartsWith("embedkv check: cannot ", error, StringComparison.Ordinal);
                Assert.Contains("locked", error, StringComparison.Ordinal);
            }

            Assert.Equal(before, Directory.GetFiles(Data).Order(StringComparer.Ordinal).ToArray());
            server.Signal("TERM");
            Assert.True(server.WaitForExit() == 0, server.Describe());
        }

        [Fact]
        public void AMissingDirectoryExitsWith3AndIsNotCreated()
        {
            using HostProcess check = Run("check", "--data", Data);

            Assert.True(check.WaitForExit() == 3, check.Describe());
            Assert.Contains("ENOENT", Assert.Single(check.Stderr), StringComparison.Ordinal);
            Assert.False(Directory.Exists(Data));
        }

        [Fact]
        public void ABadArgumentExitsWith2()
        {
            using HostProcess check = Run("check", "--data", Data, "extra");

            Assert.True(check.WaitForExit() == 2, check.Describe());
            Assert.Contains("'extra'", Assert.Single(check.Stderr), StringComparison.Ordinal);
        }

        [Fact]
        public void HelpDescribesTheCommandAndItsExitCodes()
        {
            using HostProcess help = Run("--help");

            Assert.True(help.WaitForExit() == 0, help.Describe());
            Assert.Contains("       embedkv check [--data DIR] [--repair]", help.Stdout);
            Assert.Contains(help.Stdout, l => l.Contains("0 clean, 1 damaged, 2 bad setting, 3 cannot check", StringComparison.Ordinal));
        }

        private HostProcess Run(params string[] args) => HostProcess.Run(_dir.Path, args);

        /// <summary>k0..k{count-1} with distinct 50-byte values, in one segment.</summary>
        private Dictionary<string, byte[]> WriteStore(int count)
        {
            var values = new Dictionary<string, byte[]>();
            using KvStore store = KvStore.Open(new StoreOptions { DataDirectory = Data, Durability = Durability.None });
            for (int i = 0; i < count; i++)
            {
                byte[] value = new byte[50];
                new Random(i).NextBytes(value);
                values["k" + i] = value;
                store.Put(Key("k" + i), value);
            }

            return values;
        }

        /// <summary>Where each data record of a clean segment starts (its seal skipped), by the lengths in its header (docs/storage.md).</summary>
        private List<long> RecordOffsets(string segment)
        {
            byte[] bytes = File.ReadAllBytes(Path.Combine(Data, segment));
            var offsets = new List<long>();
            for (long offset = SegmentHeaderSize; offset < bytes.Length;)
            {
                ReadOnlySpan<byte> header = bytes.AsSpan((int)offset, RecordHeaderSize);
                if ((header[5] & SealFlag) == 0)
                {
                    offsets.Add(offset);
                }

                offset += RecordHeaderSize + BinaryPrimitives.ReadUInt16LittleEndian(header.Slice(6)) + BinaryPrimitives.ReadUInt32LittleEndian(header.Slice(8));
            }

            return offsets;
        }

        private static void FlipByte(string file, long offset)
        {
            byte[] bytes = File.ReadAllBytes(file);
            bytes[offset] ^= 0x01;
            File.WriteAllBytes(file, bytes);
        }

        private long Length(string name) => new FileInfo(Path.Combine(Data, name)).Length;

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);
    }
}
