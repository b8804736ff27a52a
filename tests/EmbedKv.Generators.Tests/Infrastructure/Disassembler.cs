using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using EmbedKv.Generators.Model;

namespace EmbedKv.Generators.Tests.Infrastructure
{
    /// <summary>One instruction as objdump decodes it: where it starts, how many bytes it takes, and its text.</summary>
    internal sealed record Instruction(int Offset, int Length, string Text);

    /// <summary>Disassembles raw machine code with binutils' objdump, which decodes it without knowing the generator.</summary>
    internal static partial class Disassembler
    {
        /// <summary>
        /// The instructions of <paramref name="code"/>, in order. Texts are objdump's with runs of
        /// whitespace made one space and its trailing comments (aarch64's <c>// #172</c>) removed;
        /// x86_64 is in Intel syntax (<c>mov eax,0x27</c>).
        /// </summary>
        public static IReadOnlyList<Instruction> Disassemble(byte[] code, Architecture architecture)
        {
            bool aarch64 = architecture == Architecture.Aarch64;
            string path = Path.Combine(Path.GetTempPath(), "embedkv-stubs-" + architecture.Name + "-" + Guid.NewGuid().ToString("N") + ".bin");
            File.WriteAllBytes(path, code);
            try
            {
                // -z: show every byte (objdump would otherwise elide runs of zeros); -b binary: no headers, just code.
                string[] arguments = aarch64
                    ? new[] { "-D", "-z", "-b", "binary", "-m", "aarch64", path }
                    : new[] { "-D", "-z", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", path };
                (int exitCode, string output, string errors) = ExternalTools.Run(
                    aarch64 ? ExternalTools.Aarch64Objdump : ExternalTools.Objdump, TimeSpan.FromSeconds(60), arguments);
                Assert.True(exitCode == 0, "objdump failed (" + exitCode + "): " + errors);
                return Parse(output, aarch64 ? "//" : "#");
            }
            finally
            {
                File.Delete(path);
            }
        }

        private static List<Instruction> Parse(string output, string comment)
        {
            var instructions = new List<Instruction>();
            foreach (string line in output.Split('\n'))
            {
                // "   1c:\td4200000 \tbrk\t#0x0" (aarch64: one 32-bit word) or "  10:\t48 c7 c0 da ff ff ff \tmov    rax,..." (x86_64: bytes).
                Match match = InstructionLine().Match(line);
                if (!match.Success)
                {
                    continue;
                }

                int offset = int.Parse(match.Groups["offset"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                string[] bytes = match.Groups["bytes"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int length = bytes.Sum(group => group.Length / 2);
                string text = match.Groups["text"].Value;
                int commentAt = text.IndexOf(comment, StringComparison.Ordinal);
                if (commentAt >= 0)
                {
                    text = text.Substring(0, commentAt);
                }

                text = Whitespace().Replace(text.Trim(), " ");
                Assert.False(text.Length == 0, "objdump continued an instruction on a second line, which no stub instruction is long enough to need: " + line);
                instructions.Add(new Instruction(offset, length, text));
            }

            Assert.NotEmpty(instructions);
            return instructions;
        }

        [GeneratedRegex(@"^\s*(?<offset>[0-9a-f]+):\t(?<bytes>[0-9a-f ]+)\t?(?<text>.*)$")]
        private static partial Regex InstructionLine();

        [GeneratedRegex(@"\s+")]
        private static partial Regex Whitespace();
    }
}
