// Ownership of a descriptor: closed exactly once, never retried (close frees the number even on error).
using EmbedKv.Runtime.Interop;
using Microsoft.Win32.SafeHandles;

namespace EmbedKv.Runtime
{
    /// <summary>
    /// An owned file descriptor that is closed exactly once, however many times it is disposed and
    /// whichever thread (or the finalizer) gets there first. SafeHandle already gives exactly-once
    /// release with reference counting against use-after-close, so this builds on it.
    /// </summary>
    internal sealed class FileDescriptor : SafeHandleMinusOneIsInvalid
    {
        /// <summary>Takes ownership of <paramref name="fd"/>.</summary>
        /// <param name="fd">An open descriptor.</param>
        public FileDescriptor(int fd)
            : base(ownsHandle: true) => SetHandle(fd);

        /// <summary>The descriptor number; valid only while this object is open.</summary>
        public int Value => (int)DangerousGetHandle();

        /// <summary>Checks the raw result of a call that returns a new descriptor and takes ownership of it.</summary>
        /// <param name="result">The raw result of openat, socket, epoll_create1, ….</param>
        /// <param name="syscall">The syscall's name.</param>
        /// <param name="context">What it was called on, or null.</param>
        /// <returns>The new descriptor.</returns>
        public static FileDescriptor FromResult(nint result, string syscall, string? context = null)
            => new FileDescriptor((int)Syscall.Check(result, syscall, context));

        /// <inheritdoc/>
        protected override bool ReleaseHandle()
        {
            // close(2) frees the descriptor even when it reports EINTR or EIO, so it is never retried:
            // by then the number may already belong to a descriptor another thread just opened.
            nint result = Sys.Close((int)handle);
            return !Syscall.IsError(result) || result == -Sys.EINTR;
        }
    }
}
