using System;
using System.Text;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// CRC-32C against published vectors, and the hardware and software paths against each other on
    /// every length and alignment a record can produce.
    /// </summary>
    public sealed class Crc32CTests
    {
        [Theory]
        [InlineData("", 0x00000000u)]
        [InlineData("a", 0xC1D04330u)]
        [InlineData("123456789", 0xE3069283u)]
        [InlineData("The quick brown fox jumps over the lazy dog", 0x22620404u)]
        public void ComputesKnownAsciiVectors(string text, uint expected)
            => Assert.Equal(expected, Crc32C.Compute(Encoding.ASCII.GetBytes(text)));

        [Fact]
        public void ComputesRfc3720Vectors()
        {
            // RFC 3720 (iSCSI), appendix B.4: the CRC as a little-endian number.
            byte[] zeros = new byte[32];
            byte[] ones = new byte[32];
            Array.Fill(ones, (byte)0xFF);
            byte[] ascending = new byte[32];
            byte[] descending = new byte[32];
            for (int i = 0; i < 32; i++)
            {
                ascending[i] = (byte)i;
                descending[i] = (byte)(31 - i);
            }

            byte[] iscsiReadCommand =
            [
                0x01, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18,
                0x28, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
            ];

            Assert.Equal(0x8A9136AAu, Crc32C.Compute(zeros));
            Assert.Equal(0x62A8AB43u, Crc32C.Compute(ones));
            Assert.Equal(0x46DD794Eu, Crc32C.Compute(ascending));
            Assert.Equal(0x113FDB5Cu, Crc32C.Compute(descending));
            Assert.Equal(0xD9963A56u, Crc32C.Compute(iscsiReadCommand));
        }

        [Fact]
        public void SoftwarePathMatchesTheVectorsToo()
        {
            byte[] check = Encoding.ASCII.GetBytes("123456789");
            Assert.Equal(0xE3069283u, ~Crc32C.UpdateSoftware(0xFFFFFFFF, check));
            Assert.Equal(0x8A9136AAu, ~Crc32C.UpdateSoftware(0xFFFFFFFF, new byte[32]));
        }

        [Fact]
        public void HardwareAndSoftwareAgreeOnEveryLengthAndAlignment()
        {
            if (!Crc32C.IsHardwareAccelerated)
            {
                return; // Nothing to compare against; the vectors above cover the software path.
            }

            var random = new Random(20240517);
            byte[] buffer = new byte[1000 + 8];
            random.NextBytes(buffer);
            for (int length = 0; length <= 1000; length++)
            {
                // Shift the start too, so every combination of 8-byte steps and tail bytes runs misaligned.
                int start = length % 8;
                ReadOnlySpan<byte> data = buffer.AsSpan(start, length);
                uint seed = (uint)random.Next();
                Assert.Equal(Crc32C.UpdateSoftware(seed, data), Crc32C.UpdateHardware(seed, data));
                Assert.Equal(
                    ~Crc32C.UpdateSoftware(0xFFFFFFFF, data),
                    Crc32C.Compute(data));
            }
        }

        [Fact]
        public void AppendingPiecesEqualsComputingTheWhole()
        {
            var random = new Random(7);
            for (int length = 0; length <= 1000; length++)
            {
                byte[] data = new byte[length];
                random.NextBytes(data);
                uint whole = Crc32C.Compute(data);

                int split = random.Next(length + 1);
                Assert.Equal(whole, Crc32C.Append(Crc32C.Compute(data.AsSpan(0, split)), data.AsSpan(split)));

                // Three pieces, with the identity (0) as the starting CRC.
                int second = split + random.Next(length - split + 1);
                uint pieces = Crc32C.Append(0, data.AsSpan(0, split));
                pieces = Crc32C.Append(pieces, data.AsSpan(split, second - split));
                pieces = Crc32C.Append(pieces, data.AsSpan(second));
                Assert.Equal(whole, pieces);

                // The raw software register chains the same way.
                uint raw = Crc32C.UpdateSoftware(0xFFFFFFFF, data.AsSpan(0, split));
                Assert.Equal(whole, ~Crc32C.UpdateSoftware(raw, data.AsSpan(split)));
            }
        }

        [Fact]
        public void DetectsEverySingleBitFlip()
        {
            byte[] data = Encoding.ASCII.GetBytes("a record header, a key and a value");
            uint original = Crc32C.Compute(data);
            for (int bit = 0; bit < data.Length * 8; bit++)
            {
                data[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.NotEqual(original, Crc32C.Compute(data));
                data[bit / 8] ^= (byte)(1 << (bit % 8));
            }
        }
    }
}
