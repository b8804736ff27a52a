// Errno values with their names and messages from syscalls.json, so errors read as the C library's do.
using System;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime
{
    /// <summary>A Linux errno value with its symbolic name and message, both from syscalls.json.</summary>
    /// <param name="Value">The positive errno value.</param>
    public readonly record struct Errno(int Value)
    {
        /// <summary>The symbolic name ("EBADF"), or "errno N" for a value the table does not list.</summary>
        public string Name => Sys.ErrnoName(Value) ?? "errno " + Value;

        /// <summary>The C library's message ("Bad file descriptor").</summary>
        public string Message => Sys.ErrnoMessage(Value) ?? "Unknown error " + Value;

        /// <summary>The errno a raw kernel result carries; the result must be an error.</summary>
        /// <param name="result">A result in -4095..-1.</param>
        /// <returns>The errno.</returns>
        public static Errno FromResult(nint result)
        {
            if (!Syscall.IsError(result))
            {
                throw new ArgumentOutOfRangeException(nameof(result), result, "Not an error result.");
            }

            return new Errno((int)-result);
        }

        /// <summary>"EBADF (Bad file descriptor)".</summary>
        /// <returns>The name and the message.</returns>
        public override string ToString() => Name + " (" + Message + ")";
    }
}
