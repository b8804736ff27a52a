using System;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Net;
using System.Net.Http;
using System.Security.Cryptography;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Storage;
using Xunit.Abstractions;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// A 64 MiB value up and down through a real HttpClient, checked by SHA-256, while the process (server
    /// and client both) allocates only a few MiB: the value streams to disk and back out with sendfile,
    /// never held whole in memory. Process-wide figures, so it runs alone (<see cref="MeasurementCollection"/>).
    /// </summary>
    [Collection(MeasurementCollection.Name)]
    public sealed class LargeValueTests
    {
        private const long Size = 64L << 20;
        private const long AllocationBudget = 8L << 20;

        private readonly ITestOutputHelper _output;

        public LargeValueTests(ITestOutputHelper output) => _output = output;

        [Fact]
        public async Task SixtyFourMebibyteValueRoundTripsWithBoundedMemory()
        {
            using TestServer server = TestServer.Start();
            using HttpClient client = server.Client();

            // Warm-up of the same path with a small value: JIT, connection, buffer pools.
            await RoundTrip(client, "warm-up", 1 << 20, seed: 1);

            GC.Collect();
            GC.WaitForPendingFinalizers();
            (long rssBefore, long hwmBefore) = Memory();
            long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var clock = Stopwatch.StartNew();
            (TimeSpan upload, TimeSpan download) = await RoundTrip(client, "sixty-four", Size, seed: 2);
            long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
            (long rssAfter, long hwmAfter) = Memory();

            _output.WriteLine(string.Format(
                CultureInfo.InvariantCulture,
                "64 MiB: upload {0:F2} s, download {1:F2} s, total {2:F2} s; GC allocations {3:N0} bytes; RSS {4:N0} -> {5:N0} kB (+{6:N0}), peak RSS {7:N0} -> {8:N0} kB (+{9:N0})",
                upload.TotalSeconds,
                download.TotalSeconds,
                clock.Elapsed.TotalSeconds,
                allocated,
                rssBefore,
                rssAfter,
                rssAfter - rssBefore,
                hwmBefore,
                hwmAfter,
                hwmAfter - hwmBefore));
            Assert.True(allocated < AllocationBudget, "the round trip allocated " + allocated + " bytes on the GC heap");

            // Holding the value anywhere in the process would raise the peak by 64 MiB.
            Assert.True(hwmAfter - hwmBefore < 48 * 1024, "peak RSS grew by " + (hwmAfter - hwmBefore) + " kB");

            // The store has it whole; read back in pieces (not as one array) to compare the hash.
            Assert.True(server.Server.Store.TryGet(Requests.Utf8("sixty-four"), out EmbedKv.Server.Storage.StoredValue stored));
            try
            {
                Assert.Equal(Size, stored.Length);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                byte[] buffer = new byte[1 << 20];
                for (long offset = 0; offset < stored.Length;)
                {
                    int read = server.Server.Store.ReadValue(stored, offset, buffer);
                    Assert.True(read > 0);
                    hash.AppendData(buffer, 0, read);
                    offset += read;
                }

                Assert.Equal(PatternStream.HashOf(Size, seed: 2), hash.GetHashAndReset());
            }
            finally
            {
                stored.Release();
            }
        }

        private static async Task<(TimeSpan Upload, TimeSpan Download)> RoundTrip(HttpClient client, string key, long size, int seed)
        {
            var clock = Stopwatch.StartNew();
            byte[] sentHash;
            var source = new PatternStream(size, seed);
            using (var content = new StreamContent(source, 64 * 1024))
            using (HttpResponseMessage put = await client.PutAsync(key, content))
            {
                Assert.Equal(HttpStatusCode.Created, put.StatusCode);
                Assert.Equal(size, source.Position);
                sentHash = source.Hash();
            }

            TimeSpan upload = clock.Elapsed;

            clock.Restart();
            using var received = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long total = 0;
            using (HttpResponseMessage get = await client.GetAsync(key, HttpCompletionOption.ResponseHeadersRead))
            {
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
                Assert.Equal(size, get.Content.Headers.ContentLength);
                using Stream body = await get.Content.ReadAsStreamAsync();
                byte[] buffer = new byte[64 * 1024];
                int read;
                while ((read = await body.ReadAsync(buffer)) > 0)
                {
                    received.AppendData(buffer, 0, read);
                    total += read;
                }
            }

            Assert.Equal(size, total);
            Assert.Equal(sentHash, received.GetHashAndReset());
            return (upload, clock.Elapsed);
        }

        /// <summary>VmRSS and VmHWM of this process, in kB.</summary>
        private static (long Rss, long Peak) Memory()
        {
            long rss = 0, peak = 0;
            foreach (string line in File.ReadAllLines("/proc/self/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
                else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    peak = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                }
            }

            return (rss, peak);
        }

        /// <summary>A seekable stream of pseudo-random bytes made up as they are read (never held whole), hashing what it hands out.</summary>
        private sealed class PatternStream : Stream
        {
            private readonly long _length;
            private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            private ulong _state;
            private long _position;

            public PatternStream(long length, int seed)
            {
                _length = length;
                _state = 0x9E3779B97F4A7C15UL ^ (ulong)seed;
            }

            public override bool CanRead => true;

            public override bool CanSeek => true;

            public override bool CanWrite => false;

            public override long Length => _length;

            public override long Position
            {
                get => _position;
                set
                {
                    if (value != _position)
                    {
                        throw new NotSupportedException("the pattern can only be read forward");
                    }
                }
            }

            public static byte[] HashOf(long length, int seed)
            {
                using var stream = new PatternStream(length, seed);
                byte[] buffer = new byte[1 << 20];
                while (stream.Read(buffer, 0, buffer.Length) > 0)
                {
                }

                return stream.Hash();
            }

            public byte[] Hash() => _hash.GetHashAndReset();

            public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

            public override int Read(Span<byte> buffer)
            {
                // Whole 8-byte steps of xorshift64, so the bytes do not depend on how the reads are sized.
                int take = (int)Math.Min(buffer.Length & ~7, _length - _position);
                for (int i = 0; i + 8 <= take; i += 8)
                {
                    _state ^= _state << 13;
                    _state ^= _state >> 7;
                    _state ^= _state << 17;
                    BitConverter.TryWriteBytes(buffer.Slice(i, 8), _state);
                }

                _hash.AppendData(buffer.Slice(0, take));
                _position += take;
                return take;
            }

            public override ValueTask<int> ReadAsync(Memory<byte> buffer, System.Threading.CancellationToken cancellationToken = default)
                => new ValueTask<int>(Read(buffer.Span));

            public override void Flush()
            {
            }

            public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

            public override void SetLength(long value) => throw new NotSupportedException();

            public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

            protected override void Dispose(bool disposing)
            {
                if (disposing)
                {
                    _hash.Dispose();
                }

                base.Dispose(disposing);
            }
        }
    }
}
