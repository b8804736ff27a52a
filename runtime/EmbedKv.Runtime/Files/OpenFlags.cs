// FileHandle.Open's FileMode, translated to openat flags: kept apart because the refusals (Append, a
// truncating read-only open) are where the kernel's behaviour and .NET's FileMode disagree.
using System;
using System.IO;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Files
{
    /// <summary>The openat flags for a <see cref="FileMode"/>, always with O_CLOEXEC.</summary>
    internal static class OpenFlags
    {
        /// <summary>The flags for opening a file with <paramref name="mode"/>.</summary>
        /// <param name="mode">Any FileMode but Append.</param>
        /// <param name="writable">Read-write (true) or read-only (false).</param>
        /// <returns>The flags.</returns>
        /// <exception cref="ArgumentException">Append, or a truncating mode with <paramref name="writable"/> false.</exception>
        internal static int For(FileMode mode, bool writable)
        {
            int create = mode switch
            {
                FileMode.CreateNew => Sys.O_CREAT | Sys.O_EXCL,
                FileMode.Create => Sys.O_CREAT | Sys.O_TRUNC,
                FileMode.Open => 0,
                FileMode.OpenOrCreate => Sys.O_CREAT,
                FileMode.Truncate => Sys.O_TRUNC,

                // pwrite on an O_APPEND descriptor appends whatever offset it is given (a Linux bug that
                // pwrite(2) documents), which would silently break every positional write.
                FileMode.Append => throw new ArgumentException("FileMode.Append is not supported: FileHandle writes at explicit offsets.", nameof(mode)),
                _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown FileMode."),
            };

            // POSIX leaves O_TRUNC on a read-only open unspecified; Linux truncates the file anyway.
            if (!writable && (create & Sys.O_TRUNC) != 0)
            {
                throw new ArgumentException("FileMode." + mode + " truncates the file, which a read-only open must not do.", nameof(mode));
            }

            return create | (writable ? Sys.O_RDWR : Sys.O_RDONLY) | Sys.O_CLOEXEC;
        }
    }
}
