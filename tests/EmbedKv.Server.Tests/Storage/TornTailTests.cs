using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// The recovery rule of docs/storage.md on real files: a damaged tail is cut off (and logged), damage
    /// followed by valid records refuses to open without touching anything, leftovers are deleted.
    /// </summary>
    public sealed class TornTailTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly ITestOutputHelper _output;

        public TornTailTests(ITestOutputHelper output) => _output = output;

        public void Dispose() => _dir.Dispose();

        [Fact]
        public void CuttingTheLastSmallRecordAtEveryOffsetDropsExactlyIt()
        {
            byte[] lastValue = Value(40, seed: 1000);
            (Dictionary<string, byte[]> earlier, string segment, long lastStart, long lastEnd) = WriteRecords(lastValue);
            Assert.Equal(RecordHeader.Size + 4 + 40, lastEnd - lastStart);

            for (long offset = lastStart; offset < lastEnd; offset++)
            {
                CheckCutAt(earlier, segment, lastStart, offset);
            }
        }

        [Fact]
        public void CuttingALargeLastRecordAtSampledOffsetsDropsExactlyIt()
        {
            byte[] lastValue = Value(100 * 1024, seed: 2000);
            (Dictionary<string, byte[]> earlier, string segment, long lastStart, long lastEnd) = WriteRecords(lastValue);

            // The header's fields, the key, the point where WriteLog splits a big record into two pwrites
            // (64 KiB), and a few random points of the value.
            var offsets = new SortedSet<long> { 0, 1, 3, 4, 5, 6, 8, 16, 23, 24, 27, 28, 29, 64 * 1024 - 1, 64 * 1024, lastEnd - lastStart - 1 };
            var random = new Random(7);
            while (offsets.Count < 20)
            {
                offsets.Add(random.NextInt64(0, lastEnd - lastStart));
            }

            foreach (long cut in offsets)
            {
                CheckCutAt(earlier, segment, lastStart, lastStart + cut);
            }
        }

        [Fact]
        public void ABadCrcInTheLastRecordIsATornTailAndIsLogged()
        {
            byte[] lastValue = Value(40, seed: 3000);
            (Dictionary<string, byte[]> earlier, string segment, long lastStart, long lastEnd) = WriteRecords(lastValue);
            FlipByte(_dir.File(segment), lastEnd - 10); // inside the value

            var log = new List<string>();
            using (KvStore store = KvStore.Open(Options(_dir.Path, log)))
            {
                Assert.Equal(lastEnd - lastStart, store.Recovery.TornBytesDropped);
                Assert.Null(store.Get(Key("last")));
                AssertHolds(store, earlier);
            }

            AssertCutAndResealed(_dir.File(segment), lastStart);
            Assert.Contains(log, line => line.Contains(segment, StringComparison.Ordinal) && line.Contains("torn tail", StringComparison.Ordinal));
        }

        [Theory]
        [InlineData("value")] // CRC mismatch, header intact
        [InlineData("magic")] // not a header at all
        [InlineData("crc")] // the stored CRC itself
        [InlineData("length-low")] // a value length a little off
        [InlineData("length-high")] // a value length far past the end of the file
        public void CorruptionInTheMiddleOfASealedSegmentRefusesToOpenAndChangesNothing(string where)
        {
            StoreOptions options = Options(_dir.Path);
            options.SegmentSize = 4096;
            var records = new List<(string Key, long Offset, long Length)>();
            using (KvStore store = KvStore.Open(options))
            {
                for (int i = 0; i < 40; i++)
                {
                    store.Put(Key("k" + i), Value(300, seed: i));
                }
            }

            // Records of segment 1 (sealed: later segments exist) in order; damage the second of them.
            string sealedSegment = FileNames.Segment(1);
            long offset = SegmentHeader.Size;
            for (int i = 0; offset < new FileInfo(_dir.File(sealedSegment)).Length; i++)
            {
                long length = RecordHeader.Size + ("k" + i).Length + 300;
                records.Add(("k" + i, offset, length));
                offset += length;
            }

            Assert.True(records.Count >= 3, "segment 1 holds " + records.Count + " records");
            Assert.True(SegmentFiles(_dir.Path).Count >= 3);
            long bad = records[1].Offset;
            long at = where switch
            {
                "value" => bad + RecordHeader.Size + 2 + 100,
                "magic" => bad + 4,
                "crc" => bad + 1,
                "length-low" => bad + 8, // 300 -> 301
                _ => bad + 10, // + 64 KiB: past the end of the file
            };
            FlipByte(_dir.File(sealedSegment), at);

            Dictionary<string, byte[]> before = Snapshot(_dir.Path);
            StorageCorruptedException e = Assert.Throws<StorageCorruptedException>(() => KvStore.Open(Options(_dir.Path)).Dispose());
            _output.WriteLine(e.Message);
            Assert.Equal(sealedSegment, e.File);
            Assert.Equal(bad, e.Offset);
            Assert.Contains(sealedSegment, e.Message, StringComparison.Ordinal);
            Assert.Contains("offset " + bad, e.Message, StringComparison.Ordinal);
            AssertSameFiles(before, Snapshot(_dir.Path));

            // The lock was released: a second attempt fails the same way rather than as "locked".
            Assert.Throws<StorageCorruptedException>(() => KvStore.Open(Options(_dir.Path)).Dispose());
        }

        [Fact]
        public void ALengthCorruptedToEndInsideTheLastRecordIsStillCorruption()
        {
            // A record whose CRC fails cannot vouch for its own length field: if a flipped length makes it
            // claim to end inside the segment's last record, the valid records it claims to cover are
            // real, so this must be reported, not cut off as a torn tail (that would drop them silently).
            StoreOptions options = Options(_dir.Path);
            options.SegmentSize = 64 * 1024;
            using (KvStore store = KvStore.Open(options))
            {
                for (int i = 0; i < 10; i++)
                {
                    store.Put(Key("k" + i), Value(100, seed: i));
                }

                store.Put(Key("big"), Value(8192, seed: 99)); // the last record of segment 1
            }

            string segment = FileNames.Segment(1);
            long length = new FileInfo(_dir.File(segment)).Length;
            long second = SegmentHeader.Size + RecordHeader.Size + 2 + 100;
            long bigStart = length - (RecordHeader.Size + 3 + 8192);

            // Make record 2 claim to end 100 bytes before the end of the file (inside "big").
            byte[] bytes = File.ReadAllBytes(_dir.File(segment));
            long claimedValue = (length - 100) - second - RecordHeader.Size - 2;
            Assert.True(second + RecordHeader.Size + 2 + claimedValue > bigStart);
            BitConverter.TryWriteBytes(bytes.AsSpan((int)second + 8, 8), claimedValue);
            File.WriteAllBytes(_dir.File(segment), bytes);

            Dictionary<string, byte[]> before = Snapshot(_dir.Path);
            StorageCorruptedException e = Assert.Throws<StorageCorruptedException>(() => KvStore.Open(Options(_dir.Path)).Dispose());
            _output.WriteLine(e.Message);
            Assert.Equal(second, e.Offset);
            AssertSameFiles(before, Snapshot(_dir.Path));
        }

        [Theory]
        [InlineData(0)]
        [InlineData(5)]
        [InlineData(15)]
        public void ANewestSegmentWithoutAWholeHeaderIsDeleted(int length)
        {
            (Dictionary<string, byte[]> earlier, _, _, _) = WriteRecords(Value(10, seed: 1));
            earlier["last"] = Value(10, seed: 1);
            uint newest = SegmentFiles(_dir.Path).Select(name => Id(name)).Max() + 1;
            byte[] header = new byte[SegmentHeader.Size];
            SegmentHeader.Write(header, newest);
            File.WriteAllBytes(_dir.File(FileNames.Segment(newest)), header.AsSpan(0, length).ToArray());

            var log = new List<string>();
            using (KvStore store = KvStore.Open(Options(_dir.Path, log)))
            {
                AssertHolds(store, earlier);
                Assert.Equal(length, store.Recovery.TornBytesDropped);
                store.Put(Key("after"), Key("it"));
            }

            Assert.Contains(log, line => line.Contains(FileNames.Segment(newest), StringComparison.Ordinal));
            using (KvStore store = KvStore.Open(Options(_dir.Path)))
            {
                AssertHolds(store, earlier);
                Assert.Equal(Key("it"), store.Get(Key("after")));
            }
        }

        [Fact]
        public void ReopeningAnIdleStoreDoesNotPileUpEmptySegmentsOrReservedSpace()
        {
            // Every open starts a new active segment and reserves SegmentSize blocks for it
            // (fallocate KEEP_SIZE). Opening and closing without writing must not leave those behind, or
            // each restart costs a file descriptor, a file and SegmentSize of invisible disk space.
            StoreOptions options = Options(_dir.Path);
            options.SegmentSize = 8L << 20;
            using (KvStore store = KvStore.Open(options))
            {
                store.Put(Key("a"), Value(100, seed: 1));
            }

            for (int i = 0; i < 5; i++)
            {
                using KvStore store = KvStore.Open(options);
                Assert.Equal(Value(100, seed: 1), store.Get(Key("a")));
            }

            List<string> segments = SegmentFiles(_dir.Path);
            long allocated = AllocatedKiB(_dir.Path);
            _output.WriteLine(segments.Count + " segment files, " + allocated + " KiB allocated: " + string.Join(", ", segments));
            Assert.InRange(segments.Count, 1, 2);
            Assert.True(allocated < 1024, allocated + " KiB allocated for 100 bytes of data");
        }

        [Fact]
        public void LeftoversAreDeletedAndCounted()
        {
            (Dictionary<string, byte[]> earlier, _, _, _) = WriteRecords(Value(10, seed: 1));
            earlier["last"] = Value(10, seed: 1);
            string[] leftovers = { FileNames.Partial(40), FileNames.SegmentTemp(41), FileNames.ManifestTemp };
            foreach (string name in leftovers)
            {
                File.WriteAllBytes(_dir.File(name), Value(100, seed: 5));
            }

            using (KvStore store = KvStore.Open(Options(_dir.Path)))
            {
                Assert.Equal(3, store.Recovery.LeftoversDeleted);
                AssertHolds(store, earlier);
                store.Put(Key("after"), Key("leftovers"));
            }

            foreach (string name in leftovers)
            {
                Assert.False(File.Exists(_dir.File(name)), name + " is still there");
            }

            using (KvStore store = KvStore.Open(Options(_dir.Path)))
            {
                Assert.Equal(0, store.Recovery.LeftoversDeleted);
                Assert.Equal(Key("leftovers"), store.Get(Key("after")));
            }
        }

        /// <summary>Copies the data directory, cuts <paramref name="segment"/> at <paramref name="offset"/>, and checks recovery.</summary>
        private void CheckCutAt(Dictionary<string, byte[]> earlier, string segment, long lastStart, long offset)
        {
            using var copy = new TempDirectory();
            foreach (string file in Directory.GetFiles(_dir.Path))
            {
                File.Copy(file, copy.File(Path.GetFileName(file)));
            }

            using (var stream = new FileStream(copy.File(segment), FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(offset);
            }

            var log = new List<string>();
            using (KvStore store = KvStore.Open(Options(copy.Path, log)))
            {
                Assert.True(offset - lastStart == store.Recovery.TornBytesDropped, "cut at " + offset + ": dropped " + store.Recovery.TornBytesDropped);
                Assert.Null(store.Get(Key("last")));
                AssertHolds(store, earlier);
                AssertCutAndResealed(copy.File(segment), lastStart);
                if (offset > lastStart)
                {
                    Assert.Contains(log, line => line.Contains(segment, StringComparison.Ordinal) && line.Contains("torn tail", StringComparison.Ordinal));
                }

                store.Put(Key("new"), Key("after the cut at " + offset));
            }

            using (KvStore store = KvStore.Open(Options(copy.Path)))
            {
                Assert.Equal(0, store.Recovery.TornBytesDropped);
                Assert.Equal(Key("after the cut at " + offset), store.Get(Key("new")));
                AssertHolds(store, earlier);
            }
        }

        /// <summary>
        /// Writes 30 records and then "last" with <paramref name="lastValue"/>, closes the store, and finds
        /// where the last record lies.
        /// </summary>
        private (Dictionary<string, byte[]> Earlier, string Segment, long LastStart, long LastEnd) WriteRecords(byte[] lastValue)
        {
            var earlier = new Dictionary<string, byte[]>();
            using (KvStore store = KvStore.Open(Options(_dir.Path)))
            {
                for (int i = 0; i < 30; i++)
                {
                    byte[] value = Value(1 + (i * 37 % 200), seed: i);
                    store.Put(Key("key-" + i), value);
                    earlier["key-" + i] = value;
                }

                store.Delete(Key("key-3"));
                earlier.Remove("key-3");
                store.Put(Key("last"), lastValue);
            }

            // The active segment: the newest that holds records (a reopen may add an empty one after it).
            // Closing sealed it; cut the seal off, as a crash before the seal reached the disk would, so
            // that nothing claims the last record was synced and it can be a torn tail.
            string segment = SegmentFiles(_dir.Path).Last(name => new FileInfo(_dir.File(name)).Length > SegmentHeader.Size);
            long end = new FileInfo(_dir.File(segment)).Length - RecordHeader.Size;
            Assert.True(RecoveryRuleTests.Records(_dir.File(segment))[^1].Header.IsSeal);
            using (var stream = new FileStream(_dir.File(segment), FileMode.Open, FileAccess.Write))
            {
                stream.SetLength(end);
            }

            long start = end - RecordHeader.LengthOf(4, lastValue.Length);
            byte[] bytes = File.ReadAllBytes(_dir.File(segment));
            Assert.Equal(RecordHeader.Magic, bytes[start + 4]);
            Assert.Equal("last", Encoding.ASCII.GetString(bytes, (int)start + RecordHeader.Size, 4));
            return (earlier, segment, start, end);
        }

        internal static StoreOptions Options(string path, List<string>? log = null) => new StoreOptions
        {
            DataDirectory = path,
            Durability = Durability.None,
            SegmentSize = 1 << 20,
            AutomaticCompaction = false,
            Logger = log is null ? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance : new LineLogger(line =>
            {
                lock (log)
                {
                    log.Add(line);
                }
            }),
        };

        internal static List<string> SegmentFiles(string path)
            => Directory.GetFiles(path).Select(file => Path.GetFileName(file)).Where(name => FileNames.TryParseSegment(name, out _)).OrderBy(Id).ToList();

        internal static Dictionary<string, byte[]> Snapshot(string path)
            => Directory.GetFiles(path).ToDictionary(file => Path.GetFileName(file), File.ReadAllBytes);

        internal static void AssertSameFiles(Dictionary<string, byte[]> before, Dictionary<string, byte[]> after)
        {
            Assert.Equal(before.Keys.OrderBy(k => k, StringComparer.Ordinal), after.Keys.OrderBy(k => k, StringComparer.Ordinal));
            foreach ((string name, byte[] bytes) in before)
            {
                Assert.True(bytes.AsSpan().SequenceEqual(after[name]), name + " changed");
            }
        }

        internal static void FlipByte(string file, long offset, byte mask = 0x01)
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
            stream.Position = offset;
            int b = stream.ReadByte();
            stream.Position = offset;
            stream.WriteByte((byte)(b ^ mask));
        }

        /// <summary>Disk space the directory's files hold (du), including blocks reserved past their ends.</summary>
        internal static long AllocatedKiB(string path)
        {
            var start = new ProcessStartInfo("du", "-sk " + path) { RedirectStandardOutput = true, UseShellExecute = false };
            using Process du = Process.Start(start)!;
            string text = du.StandardOutput.ReadToEnd();
            du.WaitForExit();
            return long.Parse(text.Split('\t')[0], System.Globalization.CultureInfo.InvariantCulture);
        }

        /// <summary>The file was cut at <paramref name="at"/>, then recovery synced it and sealed what it kept.</summary>
        private static void AssertCutAndResealed(string file, long at)
        {
            Assert.Equal(at + RecordHeader.Size, new FileInfo(file).Length);
            (long offset, RecordHeader seal) = RecoveryRuleTests.Records(file)[^1];
            Assert.True(seal.IsSeal);
            Assert.Equal((at, at), (offset, seal.SyncedTo));
        }

        private static void AssertHolds(KvStore store, Dictionary<string, byte[]> expected)
        {
            foreach ((string key, byte[] value) in expected)
            {
                byte[]? actual = store.Get(Key(key));
                Assert.True(actual is not null, key + " is missing");
                Assert.True(value.AsSpan().SequenceEqual(actual), key + " has other bytes");
            }
        }

        private static uint Id(string name) => FileNames.TryParseSegment(name, out uint id) ? id : 0;

        private static byte[] Key(string text) => Encoding.UTF8.GetBytes(text);

        private static byte[] Value(int length, int seed)
        {
            byte[] bytes = new byte[length];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }
    }
}
