// The only file in EmbedKv.Runtime that calls native libraries, and why: before any stub exists, something
// must map the page the stubs live in (libc's mmap and mprotect) and, on aarch64, make the instruction
// cache see what was written (libgcc's __clear_cache); where the system forbids executable memory the
// stubs cannot exist at all, so calls fall back to libc's syscall(). Everything else uses the stubs.
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Threading;

namespace EmbedKv.Runtime.Interop
{
    /// <summary>
    /// Maps the generated syscall stubs into memory and runs the libc fallback. Generated classes call
    /// <see cref="Map"/> once from their static initializer and <see cref="Fallback"/> when it returned 0.
    /// </summary>
    public static unsafe partial class StubPage
    {
        /// <summary>
        /// Set this environment variable to 1 to force the libc fallback (for tests and for diagnosis).
        /// Its prefix is EMBEDKVRT_, not EMBEDKV_, which the host reads as its own settings.
        /// </summary>
        public const string ForceFallbackVariable = "EMBEDKVRT_SYSCALL_FALLBACK";

        /// <summary>
        /// The AppContext switch that forces the libc fallback as <see cref="ForceFallbackVariable"/> does, for an
        /// application that ships the choice with itself:
        /// <c>&lt;RuntimeHostConfigurationOption Include="EmbedKv.Runtime.ForceSyscallFallback" Value="true" /&gt;</c>.
        /// </summary>
        public const string ForceFallbackSwitch = "EmbedKv.Runtime.ForceSyscallFallback";

        private const string LibC = "libc.so.6";

        // GCC's runtime, which every glibc process on aarch64 has loaded (libstdc++ and the unwinder need it).
        // Its __clear_cache is the cache maintenance __builtin___clear_cache stands for; on aarch64 it is real
        // code (dc cvau, ic ivau, dsb ish, isb), where on x86_64 it is an empty function, and it is never called there.
        private const string GccRuntime = "libgcc_s.so.1";

        /// <summary>A generated call's number where the table marks the call missing on that architecture: it answers -ENOSYS.</summary>
        public const int Missing = -1;

        /// <summary>A generated call's number on an architecture its table does not describe: it throws <see cref="PlatformNotSupportedException"/>.</summary>
        public const int Undescribed = -2;

        private static readonly List<nint> MappedPages = new List<nint>();
        private static int s_warned;

        /// <summary>
        /// Whether this process runs on aarch64, where generated code takes the aarch64 stubs, constants and
        /// structs. Read-only after the type initializes, so the JIT folds every test of it to a constant.
        /// </summary>
        public static bool IsAarch64 { get; } = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

        /// <summary>How syscalls are made in this process.</summary>
        internal static StubMode Mode { get; private set; } = StubMode.MachineCode;

        /// <summary>Why the process uses the libc fallback, or null if it runs the stubs.</summary>
        internal static string? FallbackReason { get; private set; }

        /// <summary>Addresses of the pages mapped so far (one per generated class).</summary>
        internal static IReadOnlyList<nint> Pages
        {
            get
            {
                lock (MappedPages)
                {
                    return MappedPages.ToArray();
                }
            }
        }

        /// <summary>
        /// Copies the process architecture's stubs into a fresh page and makes it read-execute. The page
        /// is never writable and executable at once: it is mapped read-write, filled, then flipped.
        /// </summary>
        /// <param name="x86_64">The machine code of every x86_64 stub, at most one page.</param>
        /// <param name="aarch64">The machine code of every aarch64 stub, or empty if the table does not describe aarch64.</param>
        /// <returns>The page's address, or 0 if calls must use <see cref="Fallback"/>.</returns>
        public static nint Map(ReadOnlySpan<byte> x86_64, ReadOnlySpan<byte> aarch64)
        {
            if (UnsupportedReason(OperatingSystem.IsLinux(), RuntimeInformation.ProcessArchitecture) is not null)
            {
                // Fallback throws the PlatformNotSupportedException at the call, not in a type initializer.
                return 0;
            }

            ReadOnlySpan<byte> code = IsAarch64 ? aarch64 : x86_64;
            if (code.IsEmpty)
            {
                // The table describes no stubs for this architecture; Fallback throws at the call, naming it.
                return 0;
            }

            string? forcedBy = ForcedFallbackReason();
            if (forcedBy is not null)
            {
                UseFallback(forcedBy);
                return 0;
            }

            nuint size = (nuint)Math.Max(Environment.SystemPageSize, code.Length);
            nint page = mmap(0, size, Sys.PROT_READ | Sys.PROT_WRITE, Sys.MAP_PRIVATE | Sys.MAP_ANONYMOUS, -1, 0);
            if (page == -1)
            {
                UseFallback("mmap of the stub page failed: " + new Errno(Marshal.GetLastPInvokeError()));
                return 0;
            }

            code.CopyTo(new Span<byte>((void*)page, code.Length));

            // SELinux's deny_execmem and systemd's MemoryDenyWriteExecute refuse exactly this step.
            if (mprotect(page, size, Sys.PROT_READ | Sys.PROT_EXEC) != 0)
            {
                var errno = new Errno(Marshal.GetLastPInvokeError());
                munmap(page, size);
                UseFallback("the system forbids executable memory (mprotect PROT_EXEC: " + errno + ")");
                return 0;
            }

            string? incoherent = IsAarch64 ? SynchronizeInstructionCache(page, code.Length) : null;
            if (incoherent is not null)
            {
                munmap(page, size);
                UseFallback(incoherent);
                return 0;
            }

            lock (MappedPages)
            {
                MappedPages.Add(page);
            }

            return page;
        }

        /// <summary>
        /// Makes a syscall through libc's <c>syscall()</c> and returns the kernel's raw result
        /// (-errno on failure), as a stub would. Slower than a stub: used only where stubs cannot run.
        /// </summary>
        /// <param name="x86_64">The number on x86_64, <see cref="Missing"/> or <see cref="Undescribed"/>.</param>
        /// <param name="aarch64">The number on aarch64, <see cref="Missing"/> or <see cref="Undescribed"/>.</param>
        /// <param name="a1">First argument, widened to 64 bits.</param>
        /// <param name="a2">Second argument.</param>
        /// <param name="a3">Third argument.</param>
        /// <param name="a4">Fourth argument.</param>
        /// <param name="a5">Fifth argument.</param>
        /// <param name="a6">Sixth argument.</param>
        /// <returns>The kernel's result; -4095..-1 is the negated errno.</returns>
        public static nint Fallback(int x86_64, int aarch64, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6)
        {
            ThrowIfUnsupported(OperatingSystem.IsLinux(), RuntimeInformation.ProcessArchitecture);
            int number = IsAarch64 ? aarch64 : x86_64;
            if (number == Undescribed)
            {
                throw new PlatformNotSupportedException(
                    "The syscalls.json these stubs were generated from does not describe " + RuntimeInformation.ProcessArchitecture
                    + "; add it to the table's \"architectures\" (docs/syscalls.md).");
            }

            if (number == Missing)
            {
                return -Sys.ENOSYS;
            }

            nint result = syscall(number, a1, a2, a3, a4, a5, a6);
            return result == -1 ? -Marshal.GetLastPInvokeError() : result;
        }

        /// <summary>Throws <see cref="PlatformNotSupportedException"/> unless the platform is Linux on x86_64 or aarch64.</summary>
        internal static void ThrowIfUnsupported(bool isLinux, Architecture architecture)
        {
            string? unsupported = UnsupportedReason(isLinux, architecture);
            if (unsupported is not null)
            {
                throw new PlatformNotSupportedException(unsupported);
            }
        }

        /// <summary>Why syscall stubs cannot work on this platform, or null if they can.</summary>
        internal static string? UnsupportedReason(bool isLinux, Architecture architecture)
            => isLinux && architecture is Architecture.X64 or Architecture.Arm64
                ? null
                : "EmbedKv makes Linux x86_64 and aarch64 system calls directly; this process runs on "
                  + (isLinux ? "Linux" : RuntimeInformation.OSDescription) + " " + architecture + ".";

        /// <summary>
        /// Makes the instruction cache see the stubs just written through the data cache, which aarch64,
        /// unlike x86_64, does not do by itself: cleans the data cache and invalidates the instruction
        /// cache to the point of unification over the code, then synchronizes this core. Recent kernels
        /// also do it when an anonymous page first becomes executable, but the ABI leaves it to the
        /// program that wrote the code, as every JIT does. No other core can hold stale instructions for
        /// the page: it was never executable before, and they reach it only after the type initializer
        /// that mapped it has published its address (docs/syscalls.md, "Instruction cache").
        /// </summary>
        internal static string? SynchronizeInstructionCache(nint start, int length)
        {
            try
            {
                ClearCache(start, start + length);
                return null;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                return "the instruction cache cannot be synchronized over the stub page (" + GccRuntime + " __clear_cache: " + e.Message + ")";
            }
        }

        private static string? ForcedFallbackReason()
        {
            if (Environment.GetEnvironmentVariable(ForceFallbackVariable) == "1")
            {
                return ForceFallbackVariable + "=1 is set";
            }

            return AppContext.TryGetSwitch(ForceFallbackSwitch, out bool forced) && forced
                ? "the AppContext switch " + ForceFallbackSwitch + " is set"
                : null;
        }

        private static void UseFallback(string reason)
        {
            Mode = StubMode.LibcFallback;
            FallbackReason = reason;
            if (Interlocked.Exchange(ref s_warned, 1) == 0)
            {
                Console.Error.WriteLine("warning: EmbedKv syscalls use libc's syscall() instead of machine-code stubs: " + reason);
            }
        }

        [LibraryImport(LibC, SetLastError = true)]
        private static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, nint offset);

        [LibraryImport(LibC, SetLastError = true)]
        private static partial int mprotect(nint addr, nuint length, int prot);

        [LibraryImport(LibC, SetLastError = true)]
        private static partial int munmap(nint addr, nuint length);

        [LibraryImport(GccRuntime, EntryPoint = "__clear_cache")]
        private static partial void ClearCache(nint start, nint end);

        // syscall() is variadic in C. On x86_64 System V and on Linux's AAPCS64, integer arguments of a
        // variadic call travel in the same registers as fixed ones, and glibc's syscall() is assembly
        // that reads them straight from those registers, so a fixed seven-argument signature calls it
        // correctly on both.
        [LibraryImport(LibC, SetLastError = true)]
        private static partial nint syscall(nint number, nint a1, nint a2, nint a3, nint a4, nint a5, nint a6);
    }
}
