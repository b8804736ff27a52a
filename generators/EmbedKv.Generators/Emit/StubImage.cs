using System.Collections.Generic;
using System.Linq;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>One syscall's stub on one architecture: its machine code (one slot) and that code in assembly.</summary>
    internal sealed record StubSlot(SyscallModel Syscall, byte[] Code, string Assembly);

    /// <summary>
    /// The stub page of one architecture. Every syscall of the table has a slot on every architecture,
    /// in table order, <see cref="StubLayout.StubSize"/> bytes apart; a call an architecture lacks gets a
    /// slot that answers -ENOSYS. So a call's offset is the same on every architecture, and the typed
    /// method needs one address whichever page the runtime mapped.
    /// </summary>
    internal static class StubImage
    {
        public static IReadOnlyList<StubSlot> For(TableModel table, Architecture architecture)
            => table.Syscalls.Select(syscall => architecture == Architecture.Aarch64
                    ? Aarch64Stub.For(syscall)
                    : X86_64Stub.For(syscall, table.StubReturn))
                .ToList();

        /// <summary>The page's bytes: every slot's code in order.</summary>
        public static byte[] Bytes(TableModel table, Architecture architecture)
            => For(table, architecture).SelectMany(slot => slot.Code).ToArray();

        /// <summary>Where <paramref name="index"/>'s slot starts in the page.</summary>
        public static int Offset(int index) => index * StubLayout.StubSize;

        /// <summary>Appends a 32-bit value least significant byte first, as both architectures store it (an x86_64 immediate, an aarch64 instruction word).</summary>
        public static void AddLittleEndian(List<byte> code, uint value)
        {
            code.Add((byte)value);
            code.Add((byte)(value >> 8));
            code.Add((byte)(value >> 16));
            code.Add((byte)(value >> 24));
        }
    }
}
