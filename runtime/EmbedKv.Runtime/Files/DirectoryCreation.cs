// mkdir -p with durability: a directory created but not synced into its parent can vanish in a crash,
// together with everything later created inside it.
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Files
{
    /// <summary>Creates a directory and its missing parents (mkdirat, parents mode 0755 before the umask), syncing each parent.</summary>
    internal static unsafe class DirectoryCreation
    {
        internal const uint DefaultPermissions = 0x1ED; // 0755

        /// <summary>Creates <paramref name="path"/> and whatever is missing above it; an existing directory is left alone.</summary>
        /// <param name="path">The path, without trailing slashes.</param>
        /// <param name="permissions">Mode bits of <paramref name="path"/> itself if created, before the umask; parents get 0755.</param>
        /// <returns>True if <paramref name="path"/> itself was created here.</returns>
        /// <exception cref="SyscallException">mkdirat failed (ENOTDIR when a parent is a file), or opening or syncing a parent did.</exception>
        internal static bool CreateAll(string path, uint permissions = DefaultPermissions)
        {
            nint result = MakeDirectory(path, permissions);
            if (result == -Sys.ENOENT)
            {
                // A parent is missing: create it first (recursing toward the root), then try again.
                int slash = path.LastIndexOf('/');
                if (slash > 0)
                {
                    CreateAll(DirectoryPath.TrimTrailingSlashes(path.Substring(0, slash)));
                    result = MakeDirectory(path, permissions);
                }
            }

            if (result == 0)
            {
                // The new directory's name is an entry in its parent, durable only once the parent is synced.
                using var parent = DirectoryHandle.Open(DirectoryPath.ParentOf(path));
                parent.Sync();
                return true;
            }

            // EEXIST: it was there already, or another creator got there first. If it is a file, the
            // open with O_DIRECTORY that follows fails with ENOTDIR, naming the path.
            if (result != -Sys.EEXIST)
            {
                Syscall.Throw(result, "mkdirat", path);
            }

            return false;
        }

        private static nint MakeDirectory(string path, uint permissions)
        {
            using var utf8 = new Utf8Path(path, stackalloc byte[Utf8Path.StackLimit]);
            fixed (byte* p = utf8)
            {
                return Syscall.RetryInterrupted((Path: (nint)p, Mode: permissions), static s => Sys.Mkdirat(Sys.AT_FDCWD, (byte*)s.Path, s.Mode));
            }
        }
    }
}
