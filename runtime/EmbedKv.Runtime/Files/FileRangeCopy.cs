// Copying a range of one file into another inside the kernel where it can (copy_file_range: a reflink
// or a server-side copy on filesystems that have them, a page-cache copy otherwise), and through a
// buffer where it cannot.
using System;
using System.Buffers;
using System.IO;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Files
{
    /// <summary>Copies byte ranges between open files at explicit offsets; neither descriptor's position moves.</summary>
    internal static unsafe class FileRangeCopy
    {
        private const int BufferSize = 1 << 20;

        // copy_file_range takes a size_t but copies at most about 2 GiB a call; ask for chunks well below.
        private const long ChunkSize = 1L << 30;

        /// <summary>
        /// Copies <paramref name="length"/> bytes from <paramref name="source"/> at <paramref name="sourceOffset"/>
        /// to <paramref name="target"/> at <paramref name="targetOffset"/>. Uses copy_file_range unless told not
        /// to; where the kernel refuses it (EXDEV between filesystems it cannot copy across, ENOSYS, EINVAL,
        /// EOPNOTSUPP), the rest goes through a buffer with pread64 and pwrite64.
        /// </summary>
        /// <param name="source">Open for reading.</param>
        /// <param name="sourceOffset">Where to start reading.</param>
        /// <param name="target">Open for writing (not O_APPEND).</param>
        /// <param name="targetOffset">Where to start writing.</param>
        /// <param name="length">Bytes to copy.</param>
        /// <param name="context">Names the files in errors ("a -> b").</param>
        /// <param name="inKernel">Try copy_file_range first (false: the buffer path only, for tests).</param>
        /// <returns>Bytes copied by copy_file_range (the rest went through the buffer).</returns>
        /// <exception cref="EndOfStreamException">The source ends before the range does.</exception>
        /// <exception cref="SyscallException">A copy, read or write failed otherwise.</exception>
        public static long Copy(FileDescriptor source, long sourceOffset, FileDescriptor target, long targetOffset, long length, string context, bool inKernel = true)
        {
            ArgumentNullException.ThrowIfNull(source);
            ArgumentNullException.ThrowIfNull(target);
            ArgumentOutOfRangeException.ThrowIfNegative(sourceOffset);
            ArgumentOutOfRangeException.ThrowIfNegative(targetOffset);
            ArgumentOutOfRangeException.ThrowIfNegative(length);
            using var from = DescriptorLease.Acquire(source);
            using var to = DescriptorLease.Acquire(target);
            long done = 0;
            long copiedInKernel = 0;
            while (inKernel && done < length)
            {
                long inOffset = sourceOffset + done;
                long outOffset = targetOffset + done;
                nint result = Syscall.RetryInterrupted(
                    (In: from.Fd, InOffset: (nint)(&inOffset), Out: to.Fd, OutOffset: (nint)(&outOffset), Length: (nuint)Math.Min(length - done, ChunkSize)),
                    static s => Sys.CopyFileRange(s.In, (long*)s.InOffset, s.Out, (long*)s.OutOffset, s.Length, 0));
                if (result == -Sys.EXDEV || result == -Sys.ENOSYS || result == -Sys.EINVAL || result == -Sys.EOPNOTSUPP)
                {
                    break;
                }

                if (result == 0)
                {
                    ThrowEndOfFile(context, sourceOffset + done);
                }

                done += Syscall.Check(result, "copy_file_range", context);
                copiedInKernel = done;
            }

            if (done < length)
            {
                CopyThroughBuffer(from.Fd, sourceOffset + done, to.Fd, targetOffset + done, length - done, context);
            }

            return copiedInKernel;
        }

        private static void CopyThroughBuffer(int source, long sourceOffset, int target, long targetOffset, long length, string context)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                fixed (byte* start = buffer)
                {
                    for (long done = 0; done < length;)
                    {
                        nuint want = (nuint)Math.Min(length - done, buffer.Length);
                        nint read = Syscall.Check(
                            Syscall.RetryInterrupted(
                                (Fd: source, Buffer: (nint)start, Count: want, Offset: sourceOffset + done),
                                static s => Sys.Pread64(s.Fd, (byte*)s.Buffer, s.Count, s.Offset)),
                            "pread64",
                            context);
                        if (read == 0)
                        {
                            ThrowEndOfFile(context, sourceOffset + done);
                        }

                        for (nint written = 0; written < read;)
                        {
                            nint result = Syscall.Check(
                                Syscall.RetryInterrupted(
                                    (Fd: target, Buffer: (nint)(start + written), Count: (nuint)(read - written), Offset: targetOffset + done + written),
                                    static s => Sys.Pwrite64(s.Fd, (byte*)s.Buffer, s.Count, s.Offset)),
                                "pwrite64",
                                context);
                            written += result == 0 ? throw new IOException(context + ": pwrite64 wrote nothing") : result;
                        }

                        done += read;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }

        private static void ThrowEndOfFile(string context, long at)
            => throw new EndOfStreamException(context + ": the source ends at " + at + ", before the range to copy does.");
    }
}
