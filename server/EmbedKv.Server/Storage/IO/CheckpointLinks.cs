using EmbedKv.Runtime;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>Which linkat failures mean "copy it instead" (docs/storage.md, "Checkpoints").</summary>
    internal static class CheckpointLinks
    {
        /// <summary>Links <paramref name="name"/> into <paramref name="target"/>; false for the failures a copy answers.</summary>
        public static bool TryLink(DirectoryHandle source, string name, CheckpointDirectory target)
        {
            nint result = source.TryLink(name, target.Handle, name);
            if (result == 0)
            {
                target.Linked(name);
                return true;
            }

            // EXDEV: another filesystem. EPERM: one without hard links (or protected_hardlinks refusing a file we
            // do not own). EMLINK: the inode's link limit. EOPNOTSUPP: no links at all. ENOENT: a merge retired the
            // segment meanwhile; the caller's pinned descriptor still reads it.
            if (result == -Sys.EXDEV || result == -Sys.EPERM || result == -Sys.EMLINK || result == -Sys.EOPNOTSUPP || result == -Sys.ENOENT)
            {
                return false;
            }

            Syscall.Throw(result, "linkat", source.Path + "/" + name + " -> " + target.Path + "/" + name);
            return false;
        }
    }
}
