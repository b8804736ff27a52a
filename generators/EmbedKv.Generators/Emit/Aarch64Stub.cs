using System.Collections.Generic;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Emit
{
    /// <summary>
    /// The aarch64 machine code of one stub. AAPCS64 passes the first six integer arguments in
    /// x0–x5 and the Linux syscall convention reads them from the same registers, returning in x0
    /// as a function does, so a stub only loads the number into x8: <c>movz x8, #NR; svc #0; ret</c>.
    /// Every instruction is four bytes, stored little-endian. <c>ret</c> returns through x30, which
    /// <c>svc</c> leaves alone, so the table's <see cref="StubReturn"/> (an x86_64 matter of branch
    /// prediction) has no aarch64 counterpart.
    /// </summary>
    internal static class Aarch64Stub
    {
        private const uint Svc0 = 0xD4000001;
        private const uint Ret = 0xD65F03C0;

        /// <summary><c>brk #0</c>: a stray branch into a stub's padding traps.</summary>
        private const uint Brk0 = 0xD4200000;

        /// <summary><c>movn x0, #37</c>, that is x0 = -38 = -ENOSYS, what the kernel answers for a number it does not know.</summary>
        private const uint NoSuchCall = 0x928004A0;

        public static StubSlot For(SyscallModel syscall)
        {
            var code = new List<byte>(StubLayout.StubSize);
            string assembly;
            if (syscall.NumberOn(Architecture.Aarch64) is int number)
            {
                // movz x8, #imm16 (1 10 100101 00 imm16 Rd): the binder keeps aarch64 numbers far below 65536.
                StubImage.AddLittleEndian(code, 0xD2800000u | ((uint)number << 5) | 8);
                StubImage.AddLittleEndian(code, Svc0);
                assembly = "movz x8, #" + number + "; svc #0; ret";
            }
            else
            {
                StubImage.AddLittleEndian(code, NoSuchCall);
                assembly = "movn x0, #37; ret (missing on aarch64: -ENOSYS)";
            }

            StubImage.AddLittleEndian(code, Ret);
            while (code.Count < StubLayout.StubSize)
            {
                StubImage.AddLittleEndian(code, Brk0);
            }

            return new StubSlot(syscall, code.ToArray(), assembly);
        }
    }
}
