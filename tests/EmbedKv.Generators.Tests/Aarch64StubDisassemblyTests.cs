// The aarch64 stubs are instruction words the generator assembles itself (Emit/Aarch64Stub.cs), and
// no arm64 machine runs the tests. A wrong bit (the number in x7, a field shifted one place) would
// still be a valid instruction word, and the snapshots would only record it. So these tests hand the
// page of each table to binutils' own arm64 disassembler and check that every slot reads back as
// exactly the code the table asks for, with the number taken from the bound table (NumberOn):
// movz x8, #NR (objdump prints it as mov); svc #0; ret; brk #0, or for a call the table marks
// missing on aarch64, movn x0, #37 (x0 = -38, -ENOSYS); ret; brk #0; brk #0.
// Aarch64StubExecutionTests runs the same bytes under qemu.
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EmbedKv.Generators.Emit;
using EmbedKv.Generators.Model;
using EmbedKv.Generators.Tests.Infrastructure;

namespace EmbedKv.Generators.Tests
{
    /// <summary>Every aarch64 stub slot disassembles (aarch64-linux-gnu-objdump) to the instructions its table entry asks for.</summary>
    public sealed class Aarch64StubDisassemblyTests
    {
        [Fact]
        public void RealTableSlotsDisassembleToTheirNumbers()
        {
            TableModel table = Tables.Bind(Tables.Real);

            // EmbedKv's own table marks no call missing, so every slot must make a syscall.
            Assert.All(table.Syscalls, s => Assert.NotNull(s.NumberOn(Architecture.Aarch64)));
            AssertPageDisassembles(table);
        }

        [Fact]
        public void MissingCallSlotDisassemblesToEnosys()
        {
            TableModel table = Tables.Bind(Tables.Test("two-architectures.json"));

            Assert.Null(table.Syscalls.Single(s => s.Name == "epoll_wait").NumberOn(Architecture.Aarch64));
            AssertPageDisassembles(table);
        }

        /// <summary>The instructions a slot must hold, from the table alone.</summary>
        private static string[] Expected(SyscallModel syscall)
            => syscall.NumberOn(Architecture.Aarch64) is int number
                ? new[] { "mov x8, #0x" + number.ToString("x", CultureInfo.InvariantCulture), "svc #0x0", "ret", "brk #0x0" }
                : new[] { "mov x0, #0xffffffffffffffda", "ret", "brk #0x0", "brk #0x0" };

        private static void AssertPageDisassembles(TableModel table)
        {
            byte[] page = StubImage.Bytes(table, Architecture.Aarch64);
            Assert.Equal(table.Syscalls.Count * StubLayout.StubSize, page.Length);

            IReadOnlyList<Instruction> instructions = Disassembler.Disassemble(page, Architecture.Aarch64);

            // Every instruction is one 4-byte word, so the listing must have a word at every fourth byte.
            Assert.Equal(Enumerable.Range(0, page.Length / 4).Select(i => i * 4), instructions.Select(i => i.Offset));
            Assert.All(instructions, i => Assert.Equal(4, i.Length));

            var wrong = new List<string>();
            for (int index = 0; index < table.Syscalls.Count; index++)
            {
                SyscallModel syscall = table.Syscalls[index];
                int start = StubImage.Offset(index);
                string[] actual = instructions.Where(i => i.Offset >= start && i.Offset < start + StubLayout.StubSize).Select(i => i.Text).ToArray();
                string[] expected = Expected(syscall);
                if (!expected.SequenceEqual(actual))
                {
                    wrong.Add("0x" + start.ToString("x3", CultureInfo.InvariantCulture) + " " + syscall.Name
                        + ": expected [" + string.Join("; ", expected) + "], objdump reads [" + string.Join("; ", actual) + "]");
                }
            }

            Assert.True(wrong.Count == 0, "aarch64 stubs that disassemble to something else:\n" + string.Join("\n", wrong));
        }
    }
}
