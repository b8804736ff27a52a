using System;
using System.Linq;
using System.Text;

namespace EmbedKv.Server.Tests.Server
{
    /// <summary>
    /// Values go out two ways: up to 4 KiB copied behind the head (one send), larger ones by sendfile.
    /// Both must deliver exactly the stored bytes, at the edge between them, and when pipelined requests
    /// fill the output area so that a small value no longer fits behind its head.
    /// </summary>
    public sealed class ValueSendTests
    {
        [Theory]
        [InlineData(1)]
        [InlineData(64)]
        [InlineData(4095)]
        [InlineData(4096)]
        [InlineData(4097)]
        [InlineData(70_000)]
        public void EverySizeArrivesExactly(int size)
        {
            using TestServer server = TestServer.Start();
            byte[] value = Pattern(size, seed: size);
            using RawConnection c = server.Connect();
            c.Send(Requests.Put("/v", value));
            Assert.Equal(201, c.ReadResponse().Status);
            c.Send(Requests.Get("/v"));
            RawResponse response = c.ReadResponse();
            Assert.Equal(200, response.Status);
            Assert.Equal(size.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Header("Content-Length"));
            Assert.Equal(value, response.Body);
        }

        [Fact]
        public void PipelinedSmallValuesThatOverflowTheOutputAreaArriveInOrder()
        {
            // 40 GETs of 4 KiB values in one write: far more than the 16 KiB output area holds, so some
            // values are copied behind their heads and the rest wait or go by sendfile.
            using TestServer server = TestServer.Start();
            using RawConnection c = server.Connect();
            byte[][] values = Enumerable.Range(0, 8).Select(i => Pattern(4000 + i * 13, seed: i)).ToArray();
            for (int i = 0; i < values.Length; i++)
            {
                c.Send(Requests.Put("/p" + i, values[i]));
                Assert.Equal(201, c.ReadResponse().Status);
            }

            var pipeline = new StringBuilder();
            for (int i = 0; i < 40; i++)
            {
                pipeline.Append(Requests.Get("/p" + (i % values.Length)));
            }

            c.Send(pipeline.ToString());
            for (int i = 0; i < 40; i++)
            {
                RawResponse response = c.ReadResponse();
                Assert.Equal(200, response.Status);
                Assert.Equal(values[i % values.Length], response.Body);
            }
        }

        private static byte[] Pattern(int size, int seed)
        {
            var bytes = new byte[size];
            new Random(seed).NextBytes(bytes);
            return bytes;
        }
    }
}
