using System;
using System.Collections.Generic;
using System.IO;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Files;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>
    /// Where a checkpoint is written (docs/storage.md, "Checkpoints"). It is built in a staging directory of
    /// its own beside the target (<c>.NAME.checkpoint-RANDOM</c>, 0700, files 0600), synced, then renamed to
    /// the target in one step, and the parent synced: a checkpoint cut short (a crash, a kill, a stop during
    /// the copy) is never found under the target's name looking whole, and two checkpoints into one path
    /// cannot touch each other's files: the second rename fails, and only its own staging is removed.
    /// </summary>
    internal sealed class CheckpointDirectory : IDisposable
    {
        private readonly DirectoryHandle _directory;
        private readonly string _target;
        private readonly string _parent;
        private readonly string _stagingName;
        private readonly string _targetName;
        private readonly List<string> _names = new List<string>();
        private bool _published;

        private CheckpointDirectory(DirectoryHandle staging, string target, string parent, string stagingName, string targetName)
        {
            _directory = staging;
            _target = target;
            _parent = parent;
            _stagingName = stagingName;
            _targetName = targetName;
        }

        /// <summary>The target's path, where the checkpoint is once <see cref="Publish"/> returns.</summary>
        public string Path => _target;

        /// <summary>The staging directory, where files are linked and copied until <see cref="Publish"/>.</summary>
        internal DirectoryHandle Handle => _directory;

        /// <summary>
        /// Copies a range by copy_file_range where the kernel can (false: through a buffer only, as across
        /// filesystems on kernels that refuse it there). For tests of the copy path on one filesystem.
        /// </summary>
        internal bool CopyInKernel { get; init; } = true;

        /// <summary>Checks the target (absent, or an empty directory) and creates the staging directory beside it.</summary>
        /// <exception cref="IOException">The path exists and is not an empty directory, or cannot be created.</exception>
        public static CheckpointDirectory Create(string path, bool copyInKernel = true)
        {
            ArgumentException.ThrowIfNullOrEmpty(path);
            string target = System.IO.Path.GetFullPath(DirectoryPath.TrimTrailingSlashes(path));
            string parent = System.IO.Path.GetDirectoryName(target) ?? "/";
            string targetName = System.IO.Path.GetFileName(target);
            if (targetName.Length == 0)
            {
                throw new IOException("The checkpoint's target " + path + " is a filesystem root: a checkpoint goes to a new or empty directory.");
            }

            CheckTarget(target);
            Span<byte> random = stackalloc byte[8];
            EmbedKv.Runtime.Entropy.KernelRandom.Fill(random);
            string stagingName = "." + targetName + ".checkpoint-" + Convert.ToHexStringLower(random);
            DirectoryHandle staging = DirectoryHandle.Create(System.IO.Path.Combine(parent, stagingName), StoragePermissions.Directory, out bool created);
            if (!created || !staging.IsEmpty())
            {
                staging.Dispose();
                throw new IOException("The checkpoint's staging directory " + System.IO.Path.Combine(parent, stagingName) + " exists already.");
            }

            return new CheckpointDirectory(staging, target, parent, stagingName, targetName) { CopyInKernel = copyInKernel };
        }

        /// <summary>Refuses a target that is a file, or a directory with anything in it, before any work.</summary>
        private static void CheckTarget(string target)
        {
            DirectoryHandle existing;
            try
            {
                existing = DirectoryHandle.Open(target);
            }
            catch (SyscallException e) when (e.Errno.Value == Sys.ENOENT)
            {
                return;
            }
            catch (SyscallException e) when (e.Errno.Value == Sys.ENOTDIR)
            {
                throw new IOException("The checkpoint's target " + target + " exists and is not a directory.", e);
            }

            using (existing)
            {
                if (!existing.IsEmpty())
                {
                    throw new IOException("The checkpoint's target " + target + " exists and is not empty: a checkpoint goes to a new or empty directory.");
                }
            }
        }

        /// <summary>Notes a name linked here by <see cref="IStorageDirectory.TryLink"/>, for the final sync and the clean-up.</summary>
        public void Linked(string name) => _names.Add(name);

        /// <summary>Creates <paramref name="name"/> (0600) and copies <paramref name="length"/> bytes of <paramref name="source"/> into it.</summary>
        public void Copy(IStorageFile source, long length, string name)
        {
            using FileHandle file = StoragePermissions.OpenFile(_directory, name, FileMode.CreateNew, writable: true);
            _names.Add(name);
            try
            {
                FileRangeCopy.Copy(source.Descriptor, 0, file.Descriptor, 0, length, source.Name + " -> " + file.Path, CopyInKernel);
            }
            catch (SyscallException e) when (NoSpace.Is(e))
            {
                throw new StorageFullException(e);
            }
        }

        /// <summary>fsync of every file written or linked, then of the staging directory.</summary>
        public void SyncAll()
        {
            foreach (string name in _names)
            {
                // A linked file is the store's own, synced already; fsync of a clean file costs little, and
                // says so rather than assume it.
                using FileHandle file = _directory.OpenFile(name, FileMode.Open, writable: false);
                file.Sync();
            }

            _directory.Sync();
        }

        /// <summary>
        /// After <see cref="SyncAll"/>: the rename to the target (replacing it if it is an empty directory) and an
        /// fsync of the parent. From here on the checkpoint is whole under its name; after a crash before the
        /// rename, only a staging directory is left.
        /// </summary>
        /// <exception cref="IOException">The target was taken meanwhile (another checkpoint into the same path).</exception>
        public void Publish()
        {
            using DirectoryHandle parent = DirectoryHandle.Open(_parent);
            try
            {
                parent.Rename(_stagingName, _targetName);
            }
            catch (SyscallException e) when (e.Errno.Value == Sys.ENOTEMPTY || e.Errno.Value == Sys.EEXIST || e.Errno.Value == Sys.ENOTDIR)
            {
                throw new IOException("The checkpoint's target " + _target + " was taken while the checkpoint was written (another checkpoint into the same path?): it exists and is not empty.", e);
            }

            _published = true;
            parent.Sync();
        }

        /// <summary>After a failure: removes the staging directory and everything in it (all of it this checkpoint's own). Best effort.</summary>
        public void Abandon()
        {
            if (_published)
            {
                return;
            }

            foreach (string name in _names)
            {
                try
                {
                    _directory.TryDelete(name);
                }
                catch (IOException)
                {
                    // Left for the operator: the failure that abandoned the checkpoint is what they hear.
                }
            }

            _ = DirectoryHandle.TryRemoveEmpty(System.IO.Path.Combine(_parent, _stagingName));
        }

        public void Dispose() => _directory.Dispose();
    }
}
