using EmbedKv.Runtime.Files;

namespace EmbedKv.Server.Storage.IO
{
    /// <summary>
    /// The modes the store gives what it creates (docs/storage.md, "File modes"): the data is the owner's
    /// alone. Set with fchmod after creating, so the process's umask can neither widen them (umask 0) nor
    /// leave the store a file or directory it cannot reopen (umask 0277).
    /// </summary>
    internal static class StoragePermissions
    {
        /// <summary>0700: a data directory or checkpoint the store creates.</summary>
        public const uint Directory = 0x1C0;

        /// <summary>0600: every file the store creates.</summary>
        public const uint File = 0x180;

        /// <summary>S_IWGRP | S_IWOTH: a directory others can write to, where they could plant or remove files.</summary>
        public const uint WritableByOthers = 0x12;

        /// <summary>"0755" for a log message.</summary>
        public static string Octal(uint permissions) => "0" + System.Convert.ToString(permissions, 8);

        /// <summary>Opens <paramref name="name"/> with <paramref name="mode"/>, and makes a file it may have created 0600.</summary>
        public static FileHandle OpenFile(DirectoryHandle directory, string name, System.IO.FileMode mode, bool writable)
        {
            FileHandle file = directory.OpenFile(name, mode, writable, (int)File);
            if (mode != System.IO.FileMode.Open && mode != System.IO.FileMode.Truncate)
            {
                try
                {
                    file.SetPermissions(File);
                }
                catch
                {
                    file.Dispose();
                    throw;
                }
            }

            return file;
        }
    }
}
