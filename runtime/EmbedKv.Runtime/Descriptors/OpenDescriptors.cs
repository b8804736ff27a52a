// The kernel keeps no count of a process's open descriptors, so this one counts /proc/self/fd.
using System;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Descriptors
{
    /// <summary>
    /// How many descriptors the process has open, counted in /proc/self/fd: the kernel keeps no count a
    /// process could ask for, and what the limit leaves free depends on it. Meant for start-up budgets,
    /// not for a hot path: it opens and reads a directory.
    /// </summary>
    internal static unsafe class OpenDescriptors
    {
        private const int BufferSize = 4096;

        // Not const: O_DIRECTORY differs by architecture, so the generated constant is a static readonly field.
        private static readonly int DirectoryFlags = Sys.O_DIRECTORY | Sys.O_RDONLY | Sys.O_CLOEXEC;

        /// <summary>Counts the open descriptors, not counting the one this count opens to read the directory.</summary>
        /// <returns>The count.</returns>
        /// <exception cref="SyscallException">/proc is not mounted, or the process is out of descriptors (EMFILE).</exception>
        public static int Count()
        {
            ReadOnlySpan<byte> path = "/proc/self/fd\0"u8;
            nint opened;
            fixed (byte* p = path)
            {
                opened = Syscall.RetryInterrupted((nint)p, static p => Sys.Openat(Sys.AT_FDCWD, (byte*)p, DirectoryFlags, 0));
            }

            using FileDescriptor directory = FileDescriptor.FromResult(opened, "openat", "/proc/self/fd");
            Span<byte> buffer = stackalloc byte[BufferSize];
            int count = 0;
            fixed (byte* start = buffer)
            {
                while (true)
                {
                    nint read = Syscall.Blocking("getdents64", (Fd: directory.Value, Buffer: (nint)start), static s => Sys.Getdents64(s.Fd, (byte*)s.Buffer, BufferSize), "/proc/self/fd");
                    if (read == 0)
                    {
                        break;
                    }

                    count += CountNumbers(buffer.Slice(0, (int)read));
                }
            }

            return count - 1;
        }

        // Every entry but "." and ".." is a descriptor number.
        private static int CountNumbers(ReadOnlySpan<byte> records)
        {
            int count = 0;
            for (var entries = new DirentReader(records); entries.MoveNext();)
            {
                if (!entries.IsDotOrDotDot)
                {
                    count++;
                }
            }

            return count;
        }
    }
}
