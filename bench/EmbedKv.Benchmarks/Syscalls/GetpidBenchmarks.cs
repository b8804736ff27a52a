// What this measures: the cost, in ns per call, of one getpid system call made from C# by each
// route EmbedKv could take. getpid is the cheapest syscall there is (the kernel only reads a field of
// the current task), so almost all of what is measured is the way in and out: the syscall
// instruction's own entry and exit (with the mitigations of this kernel and CPU) plus whatever the
// .NET side adds around it. bench/native/getpid_loop.c measures the raw instruction in a C loop,
// the floor that no route can beat; bench/run.sh puts both in bench/results/syscalls.md.
//
// Why each variant exists:
// - StubSuppressGCTransition (baseline): Sys.Getpid() exactly as EmbedKv calls it. getpid is marked
//   non-blocking in syscalls.json, so the generated method calls its stub through
//   delegate* unmanaged[SuppressGCTransition]: no switch to preemptive GC mode, no frame
//   bookkeeping; the JIT should make this a plain indirect call to the stub page. This is the
//   number the goal is about (within 10% of the C loop).
// - StubWithGCTransition: the SAME 8 bytes of machine code, called through delegate* unmanaged<nint>
//   (the normal transition, which is what blocking calls such as epoll_wait get). The difference to
//   the baseline is the price of the GC transition alone, which is what marking a syscall
//   non-blocking saves.
// - LibcGetpid: [LibraryImport] of glibc's getpid(), the ordinary .NET way. Since glibc 2.25 getpid()
//   no longer caches the pid: it is a real syscall. On glibc 2.36 (Debian 12) its code is
//   "mov eax, 39; syscall; ret", byte for byte the same as our stub (objdump -d of libc.so.6 at the
//   address `objdump -T` gives for getpid; bench/run.sh prints it into the results), so the
//   difference to StubWithGCTransition is only the P/Invoke route (an indirect call through the
//   resolved export instead of a pointer we hold).
// - LibcSyscall39: glibc's syscall(39), the route StubPage.Fallback takes where the system forbids
//   executable memory. syscall() shuffles its seven register arguments and checks for an error
//   after the instruction; it is variadic in C, but glibc implements it in assembly that reads
//   its arguments straight from the registers, so a fixed one-argument signature calls it correctly
//   (the six argument registers it then reads hold garbage, which getpid ignores). SetLastError is
//   off here (the real fallback sets it, which costs a little more).
// - LibcGetpidSuppressGCTransition, LibcSyscall39SuppressGCTransition: the two libc routes with
//   [SuppressGCTransition] as well, to separate "libc vs. our stub" from "transition vs. none".
//   These are NOT how .NET normally calls libc; they are here only for that comparison.
// - StubJumpSuppressGCTransition: JumpSys.Getpid(), generated from this project's own table
//   (Syscalls/syscalls.json, "stubReturn": "jump"), so its stub is "mov eax, 39; syscall; pop rcx;
//   jmp rcx": it returns with an indirect jump instead of `ret` (rcx is clobbered by the syscall
//   instruction anyway). Called exactly like the baseline. On a machine where the `ret` right after
//   `syscall` mispredicts (the kernel's exit mitigations leave the return stack buffer without the
//   caller's address), this is what the other ending buys; bench/native/getpid_loop.c measures the
//   same two shapes from C. The price of the jump ending (no CET shadow stacks, an unbalanced return
//   stack buffer) is in docs/syscalls.md, "Stub return".
// - StubJumpWithGCTransition: the same jump stub through delegate* unmanaged<nint>, as a blocking
//   call in a "jump" table would be called: does the ending matter once the transition is paid?
//
// Every benchmark makes CallsPerInvoke calls per invocation (OperationsPerInvoke) so that the
// harness's per-invocation overhead is spread over 100 syscalls; results are per call.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using EmbedKv.Benchmarks.Interop;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Benchmarks.Syscalls
{
    /// <summary>ns per getpid system call through the EmbedKv stub (with and without GC transition) and through libc.</summary>
    public unsafe partial class GetpidBenchmarks
    {
        /// <summary>Calls made per benchmark invocation.</summary>
        public const int CallsPerInvoke = 100;

        private const string LibC = "libc.so.6";

        // mov eax, 39; syscall; ret: the generated getpid stub (see the generated StubCode table).
        private static readonly byte[] GetpidStubCode = { 0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3 };

        // mov eax, 39; syscall; pop rcx; jmp rcx: the getpid stub of this project's "jump" table (JumpSys).
        private static readonly byte[] GetpidJumpStubCode = { 0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05, 0x59, 0xFF, 0xE1 };

        private delegate* unmanaged<nint> _getpidStubWithTransition;
        private delegate* unmanaged<nint> _getpidJumpStubWithTransition;

        /// <summary>Maps the stub page, finds the getpid stub in it, and checks that every route returns this process's id.</summary>
        [GlobalSetup]
        public void Setup()
        {
            // The first call runs Sys's static initializer, which maps the stub page.
            nint pid = Sys.Getpid();
            if (StubPage.Mode != StubMode.MachineCode)
            {
                throw new InvalidOperationException("The stubs are not in use (" + StubPage.FallbackReason + "); this benchmark would measure libc's syscall().");
            }

            // Sys keeps its page address (s_page) private, and the offset of getpid in the page is an
            // artifact of the table's order, so rather than hard-code 0x0D0 or reach in by reflection,
            // find the stub by its machine code in the mapped page(s). That is self-checking: a match
            // is, by construction, exactly the bytes "mov eax, 39; syscall; ret", and the call below
            // must also return our pid.
            _getpidStubWithTransition = (delegate* unmanaged<nint>)FindStub(StubPage.Pages, GetpidStubCode);

            // The first JumpSys call maps its own page (one per generated class), with the jump ending.
            nint jumpPid = JumpSys.Getpid();
            _getpidJumpStubWithTransition = (delegate* unmanaged<nint>)FindStub(StubPage.Pages, GetpidJumpStubCode);

            int expected = Environment.ProcessId;
            Check(nameof(StubSuppressGCTransition), pid, expected);
            Check(nameof(StubWithGCTransition), _getpidStubWithTransition(), expected);
            Check(nameof(LibcGetpid), getpid(), expected);
            Check(nameof(LibcSyscall39), syscall(39), expected);
            Check(nameof(LibcGetpidSuppressGCTransition), getpid_nogc(), expected);
            Check(nameof(LibcSyscall39SuppressGCTransition), syscall_nogc(39), expected);
            Check(nameof(StubJumpSuppressGCTransition), jumpPid, expected);
            Check(nameof(StubJumpWithGCTransition), _getpidJumpStubWithTransition(), expected);
        }

        /// <summary>Sys.Getpid(): the generated stub through delegate* unmanaged[SuppressGCTransition].</summary>
        /// <returns>Sum of the results, so the calls are not dead code.</returns>
        [Benchmark(Baseline = true, OperationsPerInvoke = CallsPerInvoke)]
        public nint StubSuppressGCTransition()
        {
            nint sum = 0;
            for (int i = 0; i < CallsPerInvoke; i++)
            {
                sum += Sys.Getpid();
            }

            return sum;
        }

        /// <summary>The same stub through delegate* unmanaged (with the GC transition).</summary>
        /// <returns>Sum of the results.</returns>
        [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
        public nint StubWithGCTransition()
        {
            delegate* unmanaged<nint> stub = _getpidStubWithTransition;
            nint sum = 0;
            for (int i = 0; i < CallsPerInvoke; i++)
            {
                sum += stub();
            }

            return sum;
        }

        /// <summary>glibc's getpid() through [LibraryImport] (with the GC transition).</summary>
        /// <returns>Sum of the results.</returns>
        [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
        public nint LibcGetpid()
        {
            nint sum = 0;
            for (int i = 0; i < CallsPerInvoke; i++)
            {
                sum += getpid();
            }

            return sum;
        }

        /// <summary>glibc's syscall(39) through [LibraryImport] (with the GC transition): the fallback route.</summary>
        /// <returns>Sum of the results.</returns>
        [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
        public nint LibcSyscall39()
        {
            nint sum = 0;
            for (int i = 0; i < CallsPerInvoke; i++)
            {
                sum += syscall(39);
            }

            return sum;
        }

        /// <summary>For comparison only: glibc's getpid() with [SuppressGCTransition] (not how .NET normally calls libc).</summary>
        /// <returns>Sum of the results.</returns>
        [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
        public nint LibcGetpidSuppressGCTransition()
        {
            nint sum = 0;
            for (int i = 0; i < CallsPerInvoke; i++)
            {
                sum += getpid_nogc();
            }

            return sum;
        }

        /// <summary>For comparison only: glibc's syscall(39) with [SuppressGCTransition].</summary>
        /// <returns>Sum of the results.</returns>
        [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
        public nint LibcSyscall39SuppressGCTransition()
        {
            nint sum = 0;
            for (int i = 0; i < CallsPerInvoke; i++)
            {
                sum += syscall_nogc(39);
            }

            return sum;
        }

        /// <summary>JumpSys.Getpid(): a generated stub ending pop rcx; jmp rcx, through delegate* unmanaged[SuppressGCTransition].</summary>
        /// <returns>Sum of the results.</returns>
        [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
        public nint StubJumpSuppressGCTransition()
        {
            nint sum = 0;
            for (int i = 0; i < CallsPerInvoke; i++)
            {
                sum += JumpSys.Getpid();
            }

            return sum;
        }

        /// <summary>The same jump stub through delegate* unmanaged (with the GC transition).</summary>
        /// <returns>Sum of the results.</returns>
        [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
        public nint StubJumpWithGCTransition()
        {
            delegate* unmanaged<nint> stub = _getpidJumpStubWithTransition;
            nint sum = 0;
            for (int i = 0; i < CallsPerInvoke; i++)
            {
                sum += stub();
            }

            return sum;
        }

        /// <summary>Finds the one place in the mapped stub pages that holds <paramref name="code"/> (at a 16-byte stub boundary).</summary>
        /// <param name="pages">Addresses of the mapped stub pages.</param>
        /// <param name="code">The stub's machine code.</param>
        /// <returns>The stub's address.</returns>
        internal static nint FindStub(IReadOnlyList<nint> pages, ReadOnlySpan<byte> code)
        {
            const int PageSize = 4096;
            const int StubSize = 16;
            nint found = 0;
            int matches = 0;
            foreach (nint page in pages)
            {
                var bytes = new ReadOnlySpan<byte>((void*)page, PageSize);
                for (int offset = 0; offset + code.Length <= PageSize; offset += StubSize)
                {
                    if (bytes.Slice(offset, code.Length).SequenceEqual(code))
                    {
                        found = page + offset;
                        matches++;
                    }
                }
            }

            if (matches != 1)
            {
                throw new InvalidOperationException(
                    "Expected exactly one stub " + Convert.ToHexString(code) + " in " + pages.Count + " mapped stub page(s), found " + matches + ".");
            }

            return found;
        }

        private static void Check(string route, nint actual, int expected)
        {
            if (actual != expected)
            {
                throw new InvalidOperationException(route + " returned " + actual + ", expected the process id " + expected + ".");
            }
        }

        [LibraryImport(LibC)]
        private static partial int getpid();

        [LibraryImport(LibC)]
        private static partial nint syscall(nint number);

        [LibraryImport(LibC, EntryPoint = "getpid")]
        [SuppressGCTransition]
        private static partial int getpid_nogc();

        [LibraryImport(LibC, EntryPoint = "syscall")]
        [SuppressGCTransition]
        private static partial nint syscall_nogc(nint number);
    }
}
