using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using EmbedKv.Generators.Model;
using Microsoft.CodeAnalysis.CSharp;

namespace EmbedKv.Generators.Emit
{
    /// <summary>Emits the stub page's machine code and one typed method per syscall.</summary>
    internal static class SyscallsEmitter
    {
        private const string StubPage = "global::EmbedKv.Runtime.Interop.StubPage";

        /// <summary>The id of the warning at each use of a call some architecture lacks (docs/syscalls.md, "Diagnostics").</summary>
        private const string MissingCallDiagnostic = "EKV014";

        public static GeneratedFile Emit(TableModel table)
        {
            SourceWriter w = FileLayout.BeginClass(table, withSummary: true);
            w.Line("/// <summary>Version of syscalls.json this class was generated from.</summary>")
             .Line("public const int TableVersion = " + table.Version.ToString(CultureInfo.InvariantCulture) + ";")
             .Line();

            EmitStubCode(w, table, Architecture.X86_64);
            bool aarch64 = table.Architectures.Contains(Architecture.Aarch64);
            if (aarch64)
            {
                EmitStubCode(w, table, Architecture.Aarch64);
            }

            // A table that does not describe aarch64 maps no page there; its calls then throw PlatformNotSupportedException.
            w.Line("// The stub page of the process's architecture, mapped read-execute once; 0 when the runtime falls back to libc's syscall().")
             .Line("private static readonly nint s_page = " + StubPage + ".Map(" + CodeName(Architecture.X86_64) + ", "
                   + (aarch64 ? CodeName(Architecture.Aarch64) : "default") + ");");

            for (int i = 0; i < table.Syscalls.Count; i++)
            {
                w.Line();
                EmitMethod(w, table, table.Syscalls[i], StubImage.Offset(i));
            }

            return new GeneratedFile(table.ClassName + ".Syscalls.g.cs", FileLayout.EndClass(w));
        }

        private static void EmitStubCode(SourceWriter w, TableModel table, Architecture architecture)
        {
            w.Line("// Every " + architecture + " stub's machine code, " + StubLayout.StubSize + " bytes apart in table order.");
            string[] note = architecture == Architecture.X86_64
                ? EndingNote(table.StubReturn)
                : new[] { "Each is movz x8, #NR; svc #0; ret: AAPCS64 passes arguments in x0-x5, where the kernel reads them." };
            foreach (string line in note)
            {
                w.Line("// " + line);
            }

            w.Line("private static global::System.ReadOnlySpan<byte> " + CodeName(architecture) + " => new byte[]")
             .Open(string.Empty);
            IReadOnlyList<StubSlot> slots = StubImage.For(table, architecture);
            for (int i = 0; i < slots.Count; i++)
            {
                string bytes = string.Join(", ", slots[i].Code.Select(b => "0x" + b.ToString("X2", CultureInfo.InvariantCulture)));
                w.Line(bytes + ", // " + Offset(StubImage.Offset(i)) + " " + slots[i].Syscall.Name + ": " + slots[i].Assembly);
            }

            w.Close(";").Line();
        }

        private static string CodeName(Architecture architecture)
            => architecture == Architecture.Aarch64 ? "Aarch64StubCode" : "X86_64StubCode";

        /// <summary>Which return sequence the stubs use, and why ret is the default (docs/syscalls.md, "Stub return").</summary>
        private static string[] EndingNote(StubReturn ending)
            => ending == StubReturn.Jump
                ? new[]
                {
                    "Stubs end with pop rcx; jmp rcx (\"stubReturn\": \"jump\"), not the default ret: where the kernel's",
                    "exit mitigations leave the return stack buffer unable to predict the ret after syscall, the jump",
                    "is predicted from the branch target buffer instead. The price: the caller's call is never matched",
                    "by a ret, so the return stack buffer is one entry off for the caller's own returns, and a",
                    "process with CET shadow stacks enabled would fault at the caller's next ret.",
                }
                : new[]
                {
                    "Stubs end with ret (\"stubReturn\": \"ret\", the default): it matches the caller's call, so the",
                    "return stack buffer stays balanced and CET shadow stacks hold. \"stubReturn\": \"jump\" ends them",
                    "with pop rcx; jmp rcx instead, faster where the ret after syscall mispredicts, unsafe under CET.",
                };

        private static void EmitMethod(SourceWriter w, TableModel table, SyscallModel syscall, int offset)
        {
            string waits = syscall.Blocking
                ? "May block: the call leaves cooperative GC mode, so the GC can run while it waits."
                : "Never blocks: the call skips the GC transition (SuppressGCTransition) and costs little more than the instruction.";
            w.Line("/// <summary>Calls <c>" + syscall.Name + "</c> (" + Numbers(table, syscall) + "). " + waits + "</summary>");
            EmitDocTail(w, syscall);
            EmitMissingWarning(w, table, syscall);

            string parameters = Parameters(syscall);
            string registers = string.Join(", ", syscall.Arguments.Select(Widen));
            string convention = syscall.Blocking ? "unmanaged" : "unmanaged[SuppressGCTransition]";
            string pointerType = "delegate* " + convention + "<" + string.Concat(syscall.Arguments.Select(_ => "nint, ")) + "nint>";
            string fallbackArgs = string.Join(", ", syscall.Arguments.Select(Widen).Concat(Enumerable.Repeat("0", 6 - syscall.Arguments.Count)));

            w.Line("public static nint " + syscall.MethodName + "(" + parameters + ")")
             .Line("    => s_page != 0")
             .Line("        ? ((" + pointerType + ")(s_page + " + Offset(offset) + "))(" + registers + ")")
             .Line("        : " + StubPage + ".Fallback(" + FallbackNumber(table, syscall, Architecture.X86_64) + ", "
                   + FallbackNumber(table, syscall, Architecture.Aarch64) + ", " + fallbackArgs + ");");
        }

        /// <summary>
        /// A call some architecture lacks is marked so that every use of it is a compiler warning, EKV014 (an error
        /// where warnings are): code that calls it compiles, but says so, since it gets -ENOSYS on that architecture.
        /// Code that checks the architecture first suppresses the warning where it calls.
        /// </summary>
        private static void EmitMissingWarning(SourceWriter w, TableModel table, SyscallModel syscall)
        {
            string[] lacking = table.Architectures.Where(a => syscall.NumberOn(a) is null).Select(a => a.Name).ToArray();
            if (lacking.Length > 0)
            {
                w.Line("[global::System.Obsolete(\"" + syscall.Name + " is missing on " + string.Join(" and ", lacking)
                       + " (syscalls.json), where it returns -ENOSYS\", DiagnosticId = \"" + MissingCallDiagnostic + "\")]");
            }
        }

        /// <summary>"x86_64 syscall 0, aarch64 syscall 63", naming where the table marks the call missing.</summary>
        private static string Numbers(TableModel table, SyscallModel syscall)
            => string.Join(", ", table.Architectures.Select(a => syscall.NumberOn(a) is int n
                ? a + " syscall " + n.ToString(CultureInfo.InvariantCulture)
                : "missing on " + a + ", where it returns -ENOSYS"));

        /// <summary>The number libc's syscall() gets on <paramref name="architecture"/>, or why there is none.</summary>
        private static string FallbackNumber(TableModel table, SyscallModel syscall, Architecture architecture)
            => !table.Architectures.Contains(architecture) ? StubPage + ".Undescribed"
                : syscall.NumberOn(architecture) is int n ? n.ToString(CultureInfo.InvariantCulture)
                : StubPage + ".Missing";

        private static void EmitDocTail(SourceWriter w, SyscallModel syscall)
        {
            w.Line("/// <remarks>Manual page: <see href=\"" + FileLayout.Xml(syscall.ManPage) + "\"/>.</remarks>");
            foreach (ArgumentModel argument in syscall.Arguments)
            {
                w.Line("/// <param name=\"" + argument.Name + "\">" + ParameterDoc(argument) + "</param>");
            }

            w.Line("/// <returns>The kernel's result; a value in -4095..-1 is the negated errno.</returns>");
        }

        private static string Parameters(SyscallModel syscall)
            => string.Join(", ", syscall.Arguments.Select(a => a.Type + " " + Identifier(a.Name)));

        /// <summary>The argument as a full 64-bit register value: no upper bits left undefined.</summary>
        private static string Widen(ArgumentModel argument)
        {
            string name = Identifier(argument.Name);
            return argument.Conversion switch
            {
                ArgumentConversion.Pointer => "(nint)" + name,
                ArgumentConversion.Cast => "unchecked((nint)" + name + ")",
                _ => name,
            };
        }

        private static string ParameterDoc(ArgumentModel argument)
        {
            string doc = "<c>" + FileLayout.Xml(argument.Type) + "</c>";
            if (argument.ConstantGroup is null)
            {
                return doc + ".";
            }

            string values = string.Join(", ", argument.ConstantNames.Select(n => "<see cref=\"" + n + "\"/>"));
            return doc + ": from the <c>" + argument.ConstantGroup + "</c> constants (" + values + ").";
        }

        /// <summary>Escapes C# keywords used as argument names (in, event, object) with '@'.</summary>
        internal static string Identifier(string name)
            => SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

        private static string Offset(int offset) => "0x" + offset.ToString("X3", CultureInfo.InvariantCulture);
    }
}
