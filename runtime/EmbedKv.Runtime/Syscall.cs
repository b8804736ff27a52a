// The one way the runtime makes a call: RetryInterrupted repeats it over EINTR, Check (or Throw, when
// the context is worth building only on failure) turns -errno into a SyscallException.
using System;
using System.Diagnostics.CodeAnalysis;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime
{
    /// <summary>Checks raw kernel results: errors become <see cref="SyscallException"/>, EINTR is retried.</summary>
    internal static class Syscall
    {
        /// <summary>True for a raw result in -4095..-1, which the kernel uses for -errno.</summary>
        /// <param name="result">A raw result.</param>
        /// <returns>Whether it is an error.</returns>
        public static bool IsError(nint result) => (nuint)result > unchecked((nuint)(-4096));

        /// <summary>Returns the result, or throws a <see cref="SyscallException"/> naming the syscall and errno.</summary>
        /// <param name="result">A raw result.</param>
        /// <param name="syscall">The syscall's name.</param>
        /// <param name="context">What it was called on, or null.</param>
        /// <returns>The successful result.</returns>
        public static nint Check(nint result, string syscall, string? context = null)
        {
            if (IsError(result))
            {
                Throw(result, syscall, context);
            }

            return result;
        }

        /// <summary>Throws the <see cref="SyscallException"/> for an error result: "pwrite64 /data/seg-1.log: ENOSPC (No space left on device)".</summary>
        /// <param name="result">A raw error result (-errno).</param>
        /// <param name="syscall">The syscall's name.</param>
        /// <param name="context">What it was called on, or null.</param>
        // Kept out of Check so Check stays small enough to inline on hot paths.
        [DoesNotReturn]
        internal static void Throw(nint result, string syscall, string? context)
            => throw new SyscallException(syscall, Errno.FromResult(result), context);

        /// <summary>
        /// Runs a blocking call, repeating it while it fails with EINTR, and checks the result. The
        /// .NET runtime interrupts threads with signals (to suspend them for the GC, for example) and a
        /// blocking call returns EINTR when that happens; epoll_pwait does so even under SA_RESTART.
        /// </summary>
        /// <typeparam name="TState">The arguments the call needs (a tuple, say): passed, not captured, so nothing is allocated.</typeparam>
        /// <param name="syscall">The syscall's name, for the error.</param>
        /// <param name="state">The arguments.</param>
        /// <param name="call">The call, as a static lambda.</param>
        /// <param name="context">What it is called on, or null.</param>
        /// <returns>The successful result.</returns>
        public static nint Blocking<TState>(string syscall, TState state, Func<TState, nint> call, string? context = null)
            where TState : allows ref struct
            => Check(RetryInterrupted(state, call), syscall, context);

        /// <summary>
        /// Runs a call, repeating it while it fails with EINTR, and returns its raw result. A call
        /// interrupted before it did anything reports EINTR, so repeating it is always safe.
        /// </summary>
        /// <typeparam name="TState">The arguments the call needs (a tuple; pointers travel as nint).</typeparam>
        /// <param name="state">The arguments.</param>
        /// <param name="call">
        /// The call, as a static lambda: it captures nothing, so the compiler caches one delegate and a
        /// call allocates nothing.
        /// </param>
        /// <returns>The raw result (never -EINTR).</returns>
        public static nint RetryInterrupted<TState>(TState state, Func<TState, nint> call)
            where TState : allows ref struct
        {
            nint result;
            do
            {
                result = call(state);
            }
            while (result == -Sys.EINTR);

            return result;
        }
    }
}
