using System;
using System.IO;
using System.Threading.Tasks;

namespace EmbedKv.Client.Tests
{
    /// <summary>Large values in and out through streams, and range reads, against a real server.</summary>
    public sealed class StreamingTests : IDisposable
    {
        private readonly ServerFixture _server = new ServerFixture();

        public void Dispose() => _server.Dispose();

        [Theory]
        [InlineData(true)]
        [InlineData(false)]
        public async Task ALargeValueStreamsInAndOutWhole(bool seekable)
        {
            EmbedKvClient client = _server.Client();
            byte[] value = new byte[3 * 1024 * 1024 + 17];
            new Random(7).NextBytes(value);
            using Stream source = seekable ? new MemoryStream(value) : new OneWayStream(value);
            KvWriteResult written = await client.PutAsync("big", source, KvCondition.IfAbsent);
            Assert.Equal(KvWriteStatus.Created, written.Status);
            Assert.True(source.CanRead, "the client closed the caller's stream");

            using var destination = new MemoryStream();
            KvValueInfo? info = await client.GetAsync("big", destination);
            Assert.NotNull(info);
            Assert.Equal(written.Version, info.Version);
            Assert.Equal(value.Length, info.Length);
            Assert.Equal(value, destination.ToArray());
        }

        [Fact]
        public async Task RangesReadThePartAskedForAndReportTheWholeLength()
        {
            EmbedKvClient client = _server.Client();
            byte[] value = new byte[100_000];
            new Random(8).NextBytes(value);
            KvWriteResult written = await client.PutAsync("v", value);

            using (var part = new MemoryStream())
            {
                KvValueInfo? info = await client.GetRangeAsync("v", 1000, 500, part);
                Assert.Equal(value.AsSpan(1000, 500).ToArray(), part.ToArray());
                Assert.Equal(100_000, info!.Length);
                Assert.Equal(written.Version, info.Version);
            }

            using (var tail = new MemoryStream())
            {
                await client.GetRangeAsync("v", 99_990, null, tail);
                Assert.Equal(value.AsSpan(99_990).ToArray(), tail.ToArray());
            }

            using (var cut = new MemoryStream())
            {
                await client.GetRangeAsync("v", 99_000, 5_000, cut); // past the end: cut there
                Assert.Equal(value.AsSpan(99_000).ToArray(), cut.ToArray());
            }

            using (var none = new MemoryStream())
            {
                KvValueInfo? past = await client.GetRangeAsync("v", 100_000, 10, none);
                Assert.Equal(0, none.Length);
                Assert.Equal(written.Version, past!.Version);
                Assert.Equal(100_000, past.Length);
            }

            using var absent = new MemoryStream();
            Assert.Null(await client.GetRangeAsync("missing", 0, 1, absent));
            Assert.Null(await client.GetAsync("missing", absent));
            Assert.Equal(0, absent.Length);
        }

        /// <summary>A stream that can only be read forward, as a network stream.</summary>
        private sealed class OneWayStream : MemoryStream
        {
            public OneWayStream(byte[] bytes)
                : base(bytes)
            {
            }

            public override bool CanSeek => false;
        }

        [Fact]
        public async Task AStreamedReadMayTakeLongerThanRequestTimeoutWhileItProgresses()
        {
            // Found in review: RequestTimeout bounded the whole body, so a large value could never be read.
            byte[] value = new byte[8 * 1024 * 1024];
            new Random(3).NextBytes(value);
            await _server.Client().PutAsync("big", value); // a durable write of 8 MiB may itself take 2 s on a busy disk
            EmbedKvClient client = _server.Client(o => o.RequestTimeout = TimeSpan.FromSeconds(2));
            using var destination = new SlowStream(TimeSpan.FromMilliseconds(40));
            KvValueInfo? info = await client.GetAsync("big", destination);
            Assert.Equal(value.Length, info!.Length);
            Assert.Equal(value, destination.ToArray());
        }

        /// <summary>A destination that takes a while per write, as a slow disk or consumer.</summary>
        private sealed class SlowStream : MemoryStream
        {
            private readonly TimeSpan _pause;

            public SlowStream(TimeSpan pause) => _pause = pause;

            public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, System.Threading.CancellationToken cancellationToken = default)
            {
                await Task.Delay(_pause, cancellationToken);
                await base.WriteAsync(buffer, cancellationToken);
            }
        }
    }
}
