// What the kernel says about a file, asked with statx. Not fstat or newfstatat: struct stat has another
// layout on aarch64 than on x86_64, and this assembly is one IL for every architecture, while struct statx
// is laid out the same on all of them.
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Files
{
    /// <summary>
    /// The parts of a <c>struct statx</c> the runtime reads: type and mode, device and inode (a file's
    /// identity), size and change time. A call asks only for the fields its caller reads (STATX_ bits);
    /// a filesystem may leave one out, and <see cref="IsComplete"/> says whether it did, so that a field
    /// never reported is never read as a zero.
    /// </summary>
    internal readonly unsafe struct FileStatus
    {
        private static readonly (uint Bit, string Name)[] FieldNames =
        {
            (Sys.STATX_TYPE, "the file type"),
            (Sys.STATX_MODE, "the mode"),
            (Sys.STATX_INO, "the inode number"),
            (Sys.STATX_SIZE, "the size"),
            (Sys.STATX_CTIME, "the change time"),
        };

        private readonly uint _requested;
        private readonly uint _reported;

        /// <summary>What <paramref name="statx"/> says; internal for tests that fake a filesystem leaving a field out.</summary>
        internal FileStatus(in Statx statx, uint requested)
        {
            _requested = requested;
            _reported = statx.Mask;
            Mode = statx.Mode;
            DeviceMajor = statx.DevMajor;
            DeviceMinor = statx.DevMinor;
            Inode = statx.Ino;
            Size = (long)statx.Size;
            ChangeTimeSeconds = statx.CTimeSec;
            ChangeTimeNanoseconds = statx.CTimeNsec;
        }

        /// <summary>stx_mode: the file type (STATX_TYPE) and the permission bits (STATX_MODE).</summary>
        public uint Mode { get; }

        /// <summary>The file type: <c>Mode &amp; S_IFMT</c> (S_IFREG, S_IFDIR, S_IFSOCK, ...).</summary>
        public uint Type => Mode & Sys.S_IFMT;

        /// <summary>The mode bits without the file type: 0600 is 0x180.</summary>
        public uint Permissions => Mode & 0xFFFu;

        /// <summary>stx_dev_major: the device holding the file, always reported.</summary>
        public uint DeviceMajor { get; }

        /// <summary>stx_dev_minor.</summary>
        public uint DeviceMinor { get; }

        /// <summary>stx_ino (STATX_INO).</summary>
        public ulong Inode { get; }

        /// <summary>stx_size in bytes (STATX_SIZE).</summary>
        public long Size { get; }

        /// <summary>stx_ctime's seconds (STATX_CTIME): the last change of the file's data or attributes.</summary>
        public long ChangeTimeSeconds { get; }

        /// <summary>stx_ctime's nanoseconds.</summary>
        public uint ChangeTimeNanoseconds { get; }

        /// <summary>Whether the kernel reported every field asked for.</summary>
        public bool IsComplete => (_requested & ~_reported) == 0;

        /// <summary>
        /// True if both describe the same file: same device and inode. statx reports the device as a
        /// major and a minor number, so both are compared.
        /// </summary>
        /// <param name="other">Another status; both must have asked for STATX_INO.</param>
        /// <returns>Whether the file is the same.</returns>
        public bool IsSameFile(in FileStatus other)
            => Inode == other.Inode && DeviceMajor == other.DeviceMajor && DeviceMinor == other.DeviceMinor;

        /// <summary>statx of an open descriptor (an empty path with AT_EMPTY_PATH: the descriptor's own file).</summary>
        /// <param name="fd">A leased descriptor.</param>
        /// <param name="fields">The STATX_ bits the caller reads.</param>
        /// <param name="path">The descriptor's path, for errors.</param>
        /// <returns>The status, every field asked for reported.</returns>
        /// <exception cref="SyscallException">statx failed, or left out a field asked for.</exception>
        public static FileStatus Of(int fd, uint fields, string path)
        {
            nint result;
            FileStatus status;
            fixed (byte* empty = "\0"u8)
            {
                result = TryAt(fd, empty, Sys.AT_EMPTY_PATH, fields, out status);
            }

            Syscall.Check(result, "statx", path);
            if (!status.IsComplete)
            {
                status.ThrowIncomplete(path);
            }

            return status;
        }

        /// <summary>
        /// statx of <paramref name="path"/> relative to <paramref name="dirfd"/>, repeated over EINTR. The
        /// caller checks the result, then <see cref="IsComplete"/>.
        /// </summary>
        /// <param name="dirfd">A directory descriptor, or AT_FDCWD.</param>
        /// <param name="path">The path, NUL-terminated.</param>
        /// <param name="flags">AT_ flags: AT_SYMLINK_NOFOLLOW to look at a link itself.</param>
        /// <param name="fields">The STATX_ bits the caller reads; 0 when it only asks whether the path resolves.</param>
        /// <param name="status">The status on success, default otherwise.</param>
        /// <returns>0 or -errno.</returns>
        public static nint TryAt(int dirfd, byte* path, int flags, uint fields, out FileStatus status)
        {
            // AT_STATX_SYNC_AS_STAT keeps what fstat and newfstatat did: a network filesystem answers from its
            // cache when that is current, rather than asking the server every time.
            Statx statx;
            nint result = Syscall.RetryInterrupted(
                (Dir: dirfd, Path: (nint)path, Flags: flags | Sys.AT_STATX_SYNC_AS_STAT, Fields: fields, Buffer: (nint)(&statx)),
                static s => Sys.Statx(s.Dir, (byte*)s.Path, s.Flags, s.Fields, (Statx*)s.Buffer));
            status = Syscall.IsError(result) ? default : new FileStatus(statx, fields);
            return result;
        }

        /// <summary>Throws for a status that lacks a field asked for (<see cref="IsComplete"/> false).</summary>
        /// <param name="context">The path, for the message.</param>
        [DoesNotReturn]
        public void ThrowIncomplete(string context)
            => throw new SyscallException(
                "statx", new Errno(Sys.EOPNOTSUPP), context + " (the filesystem did not report " + Describe(_requested & ~_reported) + ")");

        // "the inode number, the change time": the fields statx was asked for and left out.
        private static string Describe(uint missing)
        {
            var names = new List<string>();
            foreach ((uint bit, string name) in FieldNames)
            {
                if ((missing & bit) != 0)
                {
                    names.Add(name);
                    missing &= ~bit;
                }
            }

            if (missing != 0)
            {
                names.Add("stx_mask bits 0x" + missing.ToString("x", CultureInfo.InvariantCulture));
            }

            return string.Join(", ", names);
        }
    }
}
