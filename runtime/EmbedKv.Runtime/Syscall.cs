using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime
{
    /// <summary>Checks raw kernel results: errors become <see cref="SyscallException"/>, EINTR is retried.</summary>
    public static class Syscall
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
            => IsError(result) ? throw new SyscallException(syscall, Errno.FromResult(result), context) : result;

        /// <summary>
        /// Runs a blocking call, repeating it while it fails with EINTR, and checks the result. The
        /// .NET runtime interrupts threads with signals (to suspend them for the GC, for example) and a
        /// blocking call returns EINTR when that happens; epoll_wait does so even under SA_RESTART.
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

        /// <summary>Runs a call, repeating it while it fails with EINTR, and returns its raw result.</summary>
        /// <typeparam name="TState">The arguments the call needs.</typeparam>
        /// <param name="state">The arguments.</param>
        /// <param name="call">The call, as a static lambda.</param>
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
