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
// - ExperimentalPopJmpStubSuppressGCTransition: an EXPERIMENT, not what the generator emits. A stub
//   "mov eax, 39; syscall; pop rcx; jmp rcx" (returning with an indirect jump instead of `ret`;
//   rcx is clobbered by the syscall instruction anyway) mapped with StubPage.Map and called like the
//   baseline. On a machine where the `ret` right after `syscall` mispredicts (presumably because the
//   return stack buffer no longer holds the caller's address once the kernel has run), this shows
//   what the stub shape costs; bench/native/getpid_loop.c measures the same two shapes from C. Caveat for any real
//   use: a return that is not a `ret` breaks hardware shadow stacks (CET), should the process ever
//   run with them.
//
// Every benchmark makes CallsPerInvoke calls per invocation (OperationsPerInvoke) so that the
// harness's per-invocation overhead is spread over 100 syscalls; results are per call.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
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
        private static readonly byte[] s_getpidStubCode = { 0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05, 0xC3 };

        // mov eax, 39; syscall; pop rcx; jmp rcx; int3 padding to 16 bytes: the experimental stub shape.
        private static readonly byte[] s_getpidPopJmpStubCode =
        {
            0xB8, 0x27, 0x00, 0x00, 0x00, 0x0F, 0x05, 0x59, 0xFF, 0xE1, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC,
        };

        private delegate* unmanaged<nint> _getpidStubWithTransition;
        private delegate* unmanaged[SuppressGCTransition]<nint> _getpidPopJmpStub;

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
            _getpidStubWithTransition = (delegate* unmanaged<nint>)FindStub(StubPage.Pages, s_getpidStubCode);

            // The experimental page is mapped after the search, so it cannot be mistaken for Sys's page
            // (its bytes differ from the searched ones anyway).
            nint popJmpPage = StubPage.Map(s_getpidPopJmpStubCode);
            if (popJmpPage == 0)
            {
                throw new InvalidOperationException("StubPage.Map could not map the experimental stub page.");
            }

            _getpidPopJmpStub = (delegate* unmanaged[SuppressGCTransition]<nint>)popJmpPage;

            int expected = Environment.ProcessId;
            Check(nameof(StubSuppressGCTransition), pid, expected);
            Check(nameof(StubWithGCTransition), _getpidStubWithTransition(), expected);
            Check(nameof(LibcGetpid), getpid(), expected);
            Check(nameof(LibcSyscall39), syscall(39), expected);
            Check(nameof(LibcGetpidSuppressGCTransition), getpid_nogc(), expected);
            Check(nameof(LibcSyscall39SuppressGCTransition), syscall_nogc(39), expected);
            Check(nameof(ExperimentalPopJmpStubSuppressGCTransition), _getpidPopJmpStub(), expected);
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

        /// <summary>EXPERIMENT: a stub that returns with pop rcx; jmp rcx instead of ret, through delegate* unmanaged[SuppressGCTransition].</summary>
        /// <returns>Sum of the results.</returns>
        [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
        public nint ExperimentalPopJmpStubSuppressGCTransition()
        {
            delegate* unmanaged[SuppressGCTransition]<nint> stub = _getpidPopJmpStub;
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
