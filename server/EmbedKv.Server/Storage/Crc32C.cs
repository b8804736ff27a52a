// Hand-written: System.IO.Hashing is not available to us, so CRC32C is ours.
using System;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, initial value and final xor 0xFFFFFFFF),
    /// the checksum on every segment header and record. It is the CRC that SSE4.2's <c>crc32</c>
    /// instruction computes, so checking a record costs about a cycle per 8 bytes.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Every value this API takes or returns is a finished CRC, in the convention of zlib's
    /// <c>crc32(crc, buf)</c>: <c>Append(Compute(a), b) == Compute(a + b)</c> and the CRC of nothing is 0,
    /// so <c>Compute(data) == Append(0, data)</c>. A record whose CRC covers separate pieces (header
    /// fields, key, value) is checked with <c>Append(Append(Compute(header), key), value)</c>. There is
    /// no separate "running state" type to forget to finish; the two xors per call cost nothing.
    /// </para>
    /// <para>
    /// <see cref="UpdateHardware"/> and <see cref="UpdateSoftware"/> are the two paths on the raw
    /// (un-xored) register. The public methods pick the hardware path whenever the CPU has it; tests call
    /// both directly to check they agree, which is this class's switch for forcing the software path (a
    /// mutable global flag would let tests running in parallel flip each other's path).
    /// </para>
    /// <para>
    /// <see cref="System.Numerics.BitOperations.Crc32C(uint, ulong)"/> would give the instruction too, but
    /// its fallback goes byte by byte and cannot be forced in tests, so the intrinsic is called directly.
    /// </para>
    /// </remarks>
    internal static class Crc32C
    {
        /// <summary>The reflected Castagnoli polynomial.</summary>
        internal const uint Polynomial = 0x82F63B78;

        /// <summary>Whether <see cref="UpdateHardware"/> can run here (x86-64 with SSE4.2).</summary>
        internal static bool IsHardwareAccelerated => Sse42.X64.IsSupported;

        /// <summary>The CRC-32C of <paramref name="data"/>.</summary>
        /// <param name="data">The bytes.</param>
        /// <returns>The finished CRC.</returns>
        public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

        /// <summary>Extends a finished CRC over more bytes.</summary>
        /// <param name="crc">The CRC of the bytes before <paramref name="data"/> (0 if there are none).</param>
        /// <param name="data">The bytes that follow.</param>
        /// <returns>The finished CRC of the earlier bytes followed by <paramref name="data"/>.</returns>
        public static uint Append(uint crc, ReadOnlySpan<byte> data)
            => ~(Sse42.X64.IsSupported ? UpdateHardware(~crc, data) : UpdateSoftware(~crc, data));

        /// <summary>Runs the CRC register over <paramref name="data"/> with the <c>crc32</c> instruction.</summary>
        /// <param name="state">The raw register (the finished CRC xor 0xFFFFFFFF).</param>
        /// <param name="data">The bytes.</param>
        /// <returns>The raw register afterwards.</returns>
        /// <exception cref="PlatformNotSupportedException">The CPU lacks SSE4.2 or is not x86-64.</exception>
        internal static uint UpdateHardware(uint state, ReadOnlySpan<byte> data)
        {
            if (!Sse42.X64.IsSupported)
            {
                throw new PlatformNotSupportedException("CRC32C hardware path needs x86-64 with SSE4.2.");
            }

            ref byte start = ref MemoryMarshal.GetReference(data);
            nuint length = (nuint)data.Length;
            nuint i = 0;

            // One dependent chain of 8-byte steps: the instruction's 3-cycle latency bounds it at about
            // 2.7 bytes a cycle, far beyond what the disk or network deliver, so no interleaving of
            // streams (and the carry-less multiply to join them) is worth its complexity here.
            ulong crc = state;
            for (; length - i >= 8; i += 8)
            {
                crc = Sse42.X64.Crc32(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, i)));
            }

            uint crc32 = (uint)crc;
            if (length - i >= 4)
            {
                crc32 = Sse42.Crc32(crc32, Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, i)));
                i += 4;
            }

            for (; i < length; i++)
            {
                crc32 = Sse42.Crc32(crc32, Unsafe.Add(ref start, i));
            }

            return crc32;
        }

        /// <summary>Runs the CRC register over <paramref name="data"/> with slicing-by-8 tables.</summary>
        /// <param name="state">The raw register (the finished CRC xor 0xFFFFFFFF).</param>
        /// <param name="data">The bytes.</param>
        /// <returns>The raw register afterwards.</returns>
        internal static uint UpdateSoftware(uint state, ReadOnlySpan<byte> data)
        {
            ref uint table = ref MemoryMarshal.GetArrayDataReference(SoftwareTables.Slices);
            ref byte start = ref MemoryMarshal.GetReference(data);
            nuint length = (nuint)data.Length;
            nuint i = 0;
            uint crc = state;

            // Slicing-by-8: slice k's entry for byte b is the register after b followed by k zero
            // bytes, so eight lookups advance the register by eight bytes at once.
            for (; length - i >= 8; i += 8)
            {
                uint low = crc ^ ReadLittleEndianUInt32(ref Unsafe.Add(ref start, i));
                uint high = ReadLittleEndianUInt32(ref Unsafe.Add(ref start, i + 4));
                crc = Unsafe.Add(ref table, (7 * 256) + (int)(low & 0xFF))
                    ^ Unsafe.Add(ref table, (6 * 256) + (int)((low >> 8) & 0xFF))
                    ^ Unsafe.Add(ref table, (5 * 256) + (int)((low >> 16) & 0xFF))
                    ^ Unsafe.Add(ref table, (4 * 256) + (int)(low >> 24))
                    ^ Unsafe.Add(ref table, (3 * 256) + (int)(high & 0xFF))
                    ^ Unsafe.Add(ref table, (2 * 256) + (int)((high >> 8) & 0xFF))
                    ^ Unsafe.Add(ref table, 256 + (int)((high >> 16) & 0xFF))
                    ^ Unsafe.Add(ref table, (int)(high >> 24));
            }

            for (; i < length; i++)
            {
                crc = Unsafe.Add(ref table, (int)((crc ^ Unsafe.Add(ref start, i)) & 0xFF)) ^ (crc >> 8);
            }

            return crc;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint ReadLittleEndianUInt32(ref byte source)
        {
            uint value = Unsafe.ReadUnaligned<uint>(ref source);
            return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
        }

        /// <summary>
        /// The 8 KiB of slicing tables, in a nested class so that they are built only when the software
        /// path first runs (never, on a CPU with SSE4.2, except in tests).
        /// </summary>
        private static class SoftwareTables
        {
            /// <summary>Eight 256-entry slices, one after another.</summary>
            internal static readonly uint[] Slices = Build();

            private static uint[] Build()
            {
                var slices = new uint[8 * 256];
                for (uint b = 0; b < 256; b++)
                {
                    uint crc = b;
                    for (int bit = 0; bit < 8; bit++)
                    {
                        crc = (crc & 1) != 0 ? (crc >> 1) ^ Polynomial : crc >> 1;
                    }

                    slices[b] = crc;
                }

                for (int slice = 1; slice < 8; slice++)
                {
                    for (int b = 0; b < 256; b++)
                    {
                        uint previous = slices[((slice - 1) * 256) + b];
                        slices[(slice * 256) + b] = (previous >> 8) ^ slices[(int)(previous & 0xFF)];
                    }
                }

                return slices;
            }
        }
    }
}
