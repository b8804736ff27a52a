// The x86_64 stubs are bytes the generator writes itself (Emit/X86_64Stub.cs). JumpStubExecutionTests
// runs some of them, but only the calls its table has; a wrong byte in a stub nobody calls in a test
// (a six-argument call's mov r10, rcx, the -ENOSYS slot of a call x86_64 lacks) would show only in
// production. So these tests hand each page to binutils' objdump and check that every slot decodes
// to exactly the instructions its table entry asks for, with the number from the bound table
// (NumberOn), followed by int3 padding to the slot's end: the real table ("ret"), the jump-ending
// table ("pop rcx; jmp rcx"), and the two-architectures table, whose only_elsewhere is missing on
// x86_64 and gets mov rax, -38.
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EmbedKv.Generators.Emit;
using EmbedKv.Generators.Model;
using EmbedKv.Generators.Tests.Infrastructure;

namespace EmbedKv.Generators.Tests
{
    /// <summary>Every x86_64 stub slot disassembles (objdump) to the instructions its table entry asks for.</summary>
    public sealed class X86_64StubDisassemblyTests
    {
        [Fact]
        public void RealTableSlotsDisassembleToTheirNumbers()
        {
            TableModel table = Tables.Bind(Tables.Real);

            Assert.Equal(StubReturn.Ret, table.StubReturn);
            Assert.Contains(table.Syscalls, s => s.Arguments.Count == 6);
            AssertPageDisassembles(table);
        }

        [Fact]
        public void JumpEndingSlotsDisassembleToPopAndJump()
        {
            TableModel table = Tables.Bind(Tables.Test("jump-ending.json"));

            Assert.Equal(StubReturn.Jump, table.StubReturn);
            AssertPageDisassembles(table);
        }

        [Fact]
        public void MissingCallSlotDisassemblesToEnosys()
        {
            TableModel table = Tables.Bind(Tables.Test("two-architectures.json"));

            Assert.Null(table.Syscalls.Single(s => s.Name == "only_elsewhere").NumberOn(Architecture.X86_64));
            AssertPageDisassembles(table);

            // The same slot with the jump ending: the -ENOSYS answer returns the same way every other stub does.
            AssertPageDisassembles(Tables.Bind(Tables.Test("two-architectures.json").Replace("\"architectures\"", "\"stubReturn\": \"jump\", \"architectures\"")));
        }

        /// <summary>The instructions a slot must hold before its int3 padding, from the table alone.</summary>
        private static List<string> Expected(SyscallModel syscall, StubReturn ending)
        {
            var expected = new List<string>();
            if (syscall.NumberOn(Architecture.X86_64) is int number)
            {
                expected.Add("mov eax,0x" + number.ToString("x", CultureInfo.InvariantCulture));
                if (syscall.Arguments.Count >= 4)
                {
                    // The fourth argument arrives in rcx (System V) and the kernel reads it from r10.
                    expected.Add("mov r10,rcx");
                }

                expected.Add("syscall");
            }
            else
            {
                expected.Add("mov rax,0xffffffffffffffda"); // -38, -ENOSYS, without entering the kernel
            }

            expected.AddRange(ending == StubReturn.Jump ? new[] { "pop rcx", "jmp rcx" } : new[] { "ret" });
            return expected;
        }

        private static void AssertPageDisassembles(TableModel table)
        {
            byte[] page = StubImage.Bytes(table, Architecture.X86_64);
            Assert.Equal(table.Syscalls.Count * StubLayout.StubSize, page.Length);

            IReadOnlyList<Instruction> instructions = Disassembler.Disassemble(page, Architecture.X86_64);

            // The listing covers the page without gaps, so no instruction hides inside another's bytes.
            for (int i = 0; i < instructions.Count; i++)
            {
                Assert.Equal(i == 0 ? 0 : instructions[i - 1].Offset + instructions[i - 1].Length, instructions[i].Offset);
            }

            Assert.Equal(page.Length, instructions[^1].Offset + instructions[^1].Length);

            var wrong = new List<string>();
            for (int index = 0; index < table.Syscalls.Count; index++)
            {
                SyscallModel syscall = table.Syscalls[index];
                int start = StubImage.Offset(index);
                List<Instruction> slot = instructions.Where(i => i.Offset >= start && i.Offset < start + StubLayout.StubSize).ToList();
                List<string> expected = Expected(syscall, table.StubReturn);
                string[] code = slot.Take(expected.Count).Select(i => i.Text).ToArray();
                string[] padding = slot.Skip(expected.Count).Select(i => i.Text).Distinct().ToArray();

                // A slot starts with an instruction and its last instruction ends at the slot's end.
                bool aligned = slot.Count > 0 && slot[0].Offset == start && slot[^1].Offset + slot[^1].Length == start + StubLayout.StubSize;
                if (!aligned || !expected.SequenceEqual(code) || !padding.SequenceEqual(new[] { "int3" }))
                {
                    wrong.Add("0x" + start.ToString("x3", CultureInfo.InvariantCulture) + " " + syscall.Name
                        + ": expected [" + string.Join("; ", expected) + "; int3...], objdump reads ["
                        + string.Join("; ", slot.Select(i => i.Text)) + "]" + (aligned ? string.Empty : " (not aligned to the slot)"));
                }
            }

            Assert.True(wrong.Count == 0, "x86_64 stubs that disassemble to something else:\n" + string.Join("\n", wrong));
        }
    }
}
