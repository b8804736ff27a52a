// The runtime's only exception for a failed call; Syscall.Check and Syscall.Throw raise it.
using System.IO;

namespace EmbedKv.Runtime
{
    /// <summary>A failed system call, named with its errno: "bind 127.0.0.1:8080: EADDRINUSE (Address already in use)".</summary>
    public sealed class SyscallException : IOException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="syscall">The syscall's name, as the kernel spells it ("bind").</param>
        /// <param name="errno">The errno it failed with.</param>
        /// <param name="context">What it was called on ("127.0.0.1:8080", a path), or null.</param>
        public SyscallException(string syscall, Errno errno, string? context = null)
            : base(Format(syscall, errno, context))
        {
            Syscall = syscall;
            Errno = errno;
            Context = context;
            HResult = errno.Value;
        }

        /// <summary>The syscall that failed.</summary>
        public string Syscall { get; }

        /// <summary>The errno it failed with.</summary>
        public Errno Errno { get; }

        /// <summary>What it was called on, or null.</summary>
        public string? Context { get; }

        private static string Format(string syscall, Errno errno, string? context)
            => syscall + (context is null ? string.Empty : " " + context) + ": " + errno.Name + " (" + errno.Message + ")";
    }
}
