using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// A data directory written by segment format 2 (before expiry), checked into TestData/format-v2 (its
    /// README lists what it holds): every later version must open it, read it back whole, write beside it
    /// and merge it.
    /// </summary>
    public sealed class FormatV2DirectoryTests : IDisposable
    {
        private readonly TempDirectory _dir = new TempDirectory();

        public void Dispose() => _dir.Dispose();

        /// <summary>What the checked-in directory holds (TestData/README.md).</summary>
        internal static Dictionary<string, byte[]> Expected()
        {
            var expected = new Dictionary<string, byte[]>(StringComparer.Ordinal)
            {
                ["alpha"] = Bytes("four"),
                ["beta"] = Bytes("two"),
                [Encoding.Latin1.GetString(new byte[] { 0x00, 0xFF, 0x2F })] = Bytes("binary key"),
                ["empty"] = Array.Empty<byte>(),
                ["big"] = Enumerable.Range(0, 10000).Select(i => (byte)(i * 7)).ToArray(),
                ["after-merge"] = Bytes("five"),
            };
            for (int i = 0; i < 40; i++)
            {
                if (i % 3 != 0)
                {
                    expected["k" + i.ToString("D2", System.Globalization.CultureInfo.InvariantCulture)] = Bytes("v" + i);
                }
            }

            return expected;
        }

        [Fact]
        public void TheCheckedInVersion2DirectoryOpensWholeTakesWritesAndMerges()
        {
            CopyTestData("format-v2", _dir.Path);
            Dictionary<string, byte[]> expected = Expected();
            Assert.False(StoreCheck.Check(_dir.Path).IsDamaged);

            var options = new StoreOptions { DataDirectory = _dir.Path, AutomaticCompaction = false, SegmentSize = 4096 };
            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(expected.Count, store.Count);
                AssertHolds(store, expected);
                Assert.Null(store.Get(Bytes("gamma")));
                Assert.Null(store.Get(Bytes("k00")));

                store.Put(Bytes("beta"), Bytes("six"));
                expected["beta"] = Bytes("six");
                Assert.True(store.Compact() >= 1);
                AssertHolds(store, expected);
            }

            Assert.False(StoreCheck.Check(_dir.Path).IsDamaged);
            using (KvStore store = KvStore.Open(options))
            {
                Assert.Equal(expected.Count, store.Count);
                AssertHolds(store, expected);
            }
        }

        internal static void CopyTestData(string name, string destination)
        {
            string source = Path.Combine(AppContext.BaseDirectory, "Storage", "TestData", name);
            foreach (string file in Directory.GetFiles(source))
            {
                File.Copy(file, Path.Combine(destination, Path.GetFileName(file)));
            }
        }

        private static void AssertHolds(KvStore store, Dictionary<string, byte[]> expected)
        {
            foreach ((string key, byte[] value) in expected)
            {
                Assert.Equal(value, store.Get(Encoding.Latin1.GetBytes(key)));
            }
        }

        private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);
    }
}
