using EmbedKv.Runtime;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>
    /// The one errno the store tells apart. <c>ENOSPC</c> from an operation that needs space (creating a
    /// file, writing, reserving, truncating, renaming) is thrown as <see cref="StorageFullException"/>, with
    /// the runtime's <see cref="SyscallException"/> as its cause: what the <see cref="IStorageFile"/> and
    /// <see cref="IStorageDirectory"/> seam promises, so that nothing above this folder reads an errno.
    /// Syncs are never translated: a failed sync is final whatever its errno (docs/storage.md, "Disk full").
    /// </summary>
    internal static class NoSpace
    {
        /// <summary>Whether a syscall failed for want of space.</summary>
        public static bool Is(SyscallException e) => e.Errno.Value == Sys.ENOSPC;
    }
}
