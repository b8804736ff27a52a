using System.Collections.Generic;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>
    /// The x86_64 machine code of one stub. The System V calling convention passes the first
    /// four arguments in rdi, rsi, rdx, rcx; the syscall convention wants rdi, rsi, rdx, r10
    /// (the syscall instruction itself overwrites rcx with the return address), so a stub only
    /// has to load the number and, from four arguments on, move rcx to r10. It then returns with
    /// the table's <see cref="StubReturn"/>: <c>ret</c>, or <c>pop rcx; jmp rcx</c>, which uses rcx
    /// because <c>syscall</c> has already clobbered it and System V lets a callee clobber it anyway.
    /// </summary>
    internal static class StubCode
    {
        public static byte[] For(SyscallModel syscall, int number, StubReturn ending)
        {
            var code = new List<byte>(StubLayout.StubSize);

            // mov eax, imm32 (B8 id): writing eax zero-extends into rax.
            code.Add(0xB8);
            code.Add((byte)number);
            code.Add((byte)(number >> 8));
            code.Add((byte)(number >> 16));
            code.Add((byte)(number >> 24));
            if (syscall.Arguments.Count >= 4)
            {
                // mov r10, rcx (REX.W+B 89 /r, ModRM 11 001 010).
                code.Add(0x49);
                code.Add(0x89);
                code.Add(0xCA);
            }

            code.Add(0x0F); // syscall
            code.Add(0x05);
            if (ending == StubReturn.Jump)
            {
                code.Add(0x59); // pop rcx: the return address the caller's call pushed
                code.Add(0xFF); // jmp rcx (FF /4, ModRM 11 100 001)
                code.Add(0xE1);
            }
            else
            {
                code.Add(0xC3); // ret
            }

            // Pad with int3 so a stray jump into the gap traps instead of running on.
            while (code.Count < StubLayout.StubSize)
            {
                code.Add(0xCC);
            }

            return code.ToArray();
        }

        /// <summary>A short disassembly for the comment beside each stub's bytes.</summary>
        public static string Describe(SyscallModel syscall, int number, StubReturn ending)
            => "mov eax, " + number + (syscall.Arguments.Count >= 4 ? "; mov r10, rcx" : string.Empty) + "; syscall; " + Ending(ending);

        /// <summary>The return sequence in assembly, as the generated comments and docs name it.</summary>
        public static string Ending(StubReturn ending) => ending == StubReturn.Jump ? "pop rcx; jmp rcx" : "ret";
    }
}
