// Random bytes for values an outsider must not guess, from the kernel's CSPRNG through the stubs.
using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Entropy
{
    /// <summary>
    /// Random bytes from the kernel's CSPRNG (getrandom), for values an outsider must not be able to
    /// guess, such as the salt that keeps a stored value from passing for a record of the log.
    /// </summary>
    internal static unsafe class KernelRandom
    {
        /// <summary>Fills <paramref name="destination"/> with random bytes; blocks only until the kernel's pool is first seeded.</summary>
        /// <param name="destination">Where to put them.</param>
        /// <exception cref="SyscallException">getrandom failed.</exception>
        public static void Fill(Span<byte> destination)
        {
            fixed (byte* start = destination)
            {
                // getrandom may return fewer bytes than asked (past 256 bytes, or when a signal arrives).
                for (int done = 0; done < destination.Length;)
                {
                    nint result = Syscall.Blocking("getrandom", (Buffer: (nint)(start + done), Length: destination.Length - done), static s => Sys.Getrandom((byte*)s.Buffer, (nuint)s.Length, 0));
                    done += (int)result;
                }
            }
        }

        /// <summary>A random 64-bit number that is never zero (zero can stand for "no salt").</summary>
        /// <returns>The number.</returns>
        public static ulong NextNonZeroUInt64()
        {
            Span<byte> bytes = stackalloc byte[8];
            ulong value;
            do
            {
                Fill(bytes);
                value = BitConverter.ToUInt64(bytes);
            }
            while (value == 0);

            return value;
        }
    }
}
