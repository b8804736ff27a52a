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
    internal static class X86_64Stub
    {
        /// <summary>-ENOSYS, what the kernel answers for a number it does not know.</summary>
        private const int NoSuchCall = -38;

        public static StubSlot For(SyscallModel syscall, StubReturn ending)
        {
            var code = new List<byte>(StubLayout.StubSize);
            if (syscall.NumberOn(Architecture.X86_64) is not int number)
            {
                // mov rax, imm32 (REX.W C7 /0, sign-extended): a call x86_64 lacks answers as an unknown number would.
                code.AddRange(new byte[] { 0x48, 0xC7, 0xC0 });
                StubImage.AddLittleEndian(code, unchecked((uint)NoSuchCall));
                AddEnding(code, ending);
                return new StubSlot(syscall, Padded(code), "mov rax, " + NoSuchCall + "; " + Ending(ending) + " (missing on x86_64)");
            }

            // mov eax, imm32 (B8 id): writing eax zero-extends into rax.
            code.Add(0xB8);
            StubImage.AddLittleEndian(code, (uint)number);
            if (syscall.Arguments.Count >= 4)
            {
                // mov r10, rcx (REX.W+B 89 /r, ModRM 11 001 010).
                code.AddRange(new byte[] { 0x49, 0x89, 0xCA });
            }

            code.Add(0x0F); // syscall
            code.Add(0x05);
            AddEnding(code, ending);
            string assembly = "mov eax, " + number + (syscall.Arguments.Count >= 4 ? "; mov r10, rcx" : string.Empty) + "; syscall; " + Ending(ending);
            return new StubSlot(syscall, Padded(code), assembly);
        }

        /// <summary>The return sequence in assembly, as the generated comments name it.</summary>
        private static string Ending(StubReturn ending) => ending == StubReturn.Jump ? "pop rcx; jmp rcx" : "ret";

        private static void AddEnding(List<byte> code, StubReturn ending)
        {
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
        }

        // Pad with int3 so a stray jump into the gap traps instead of running on.
        private static byte[] Padded(List<byte> code)
        {
            while (code.Count < StubLayout.StubSize)
            {
                code.Add(0xCC);
            }

            return code.ToArray();
        }
    }
}
