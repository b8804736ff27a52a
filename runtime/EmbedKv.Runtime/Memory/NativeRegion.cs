// Memory the GC neither scans nor moves, for large buffers that would otherwise sit on its heap.
using System;
using System.Diagnostics.CodeAnalysis;
using System.Threading;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Runtime.Memory
{
    /// <summary>
    /// Anonymous private memory from mmap (PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS): off the
    /// GC heap, so the collector neither scans nor moves it, zero-filled by the kernel, and resident only
    /// in the pages actually touched, so a large region costs address space until it is used.
    /// </summary>
    /// <remarks>
    /// Not thread-safe against <see cref="Grow"/>, which may move the memory: pointers and spans taken
    /// before it are invalid after it. Keep the region reachable (or call <see cref="GC.KeepAlive"/>)
    /// while using its memory through a pointer or span, or the finalizer may unmap it underneath.
    /// </remarks>
    internal sealed unsafe class NativeRegion : IDisposable
    {
        // 0 once unmapped; swapped atomically so Dispose unmaps once even when called from two threads.
        private nint _address;
        private nuint _length;

        private NativeRegion(nuint length)
        {
            // Mapped in the constructor so that no mapping exists without its owner: if this throws,
            // the finalizer of the half-built object sees _address == 0 and does nothing.
            nint result = Sys.Mmap(null, length, Sys.PROT_READ | Sys.PROT_WRITE, Sys.MAP_PRIVATE | Sys.MAP_ANONYMOUS, -1, 0);
            ThrowIfFailed(result, "mmap", length);
            _length = length;
            _address = result;
        }

        /// <summary>Unmaps the memory if <see cref="Dispose"/> was not called.</summary>
        ~NativeRegion() => Unmap();

        /// <summary>The start of the memory, page-aligned. Changes when <see cref="Grow"/> moves it.</summary>
        /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
        public byte* Pointer
        {
            get
            {
                nint address = _address;
                ObjectDisposedException.ThrowIf(address == 0, this);
                return (byte*)address;
            }
        }

        /// <summary>The size in bytes: what was asked for, rounded up to whole pages.</summary>
        public nuint Length => _length;

        /// <summary>Whether <see cref="Dispose"/> has unmapped the memory.</summary>
        public bool IsDisposed => _address == 0;

        /// <summary>Maps at least <paramref name="bytes"/> bytes of zeros.</summary>
        /// <param name="bytes">The size wanted, more than 0; rounded up to the page size.</param>
        /// <returns>The region.</returns>
        /// <exception cref="OutOfMemoryException">mmap failed with ENOMEM (no address space, or over the overcommit limit).</exception>
        public static NativeRegion Allocate(nuint bytes) => new NativeRegion(RoundUpToPage(bytes, nameof(bytes)));

        /// <summary>
        /// Grows the region to at least <paramref name="newLength"/> bytes (mremap, MREMAP_MAYMOVE). The
        /// contents are kept and the new part is zero, but <see cref="Pointer"/> may change: the kernel
        /// moves the page table entries, not the bytes, so even a large region grows without copying.
        /// </summary>
        /// <param name="newLength">The size wanted, at least <see cref="Length"/>; rounded up to the page size.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="newLength"/> is less than <see cref="Length"/>.</exception>
        /// <exception cref="OutOfMemoryException">mremap failed with ENOMEM (or EINVAL: beyond the address space); the region is unchanged.</exception>
        public void Grow(nuint newLength)
        {
            byte* old = Pointer;
            if (newLength < _length)
            {
                throw new ArgumentOutOfRangeException(nameof(newLength), newLength, "A region grows only; its length is " + _length + ".");
            }

            nuint rounded = RoundUpToPage(newLength, nameof(newLength));
            if (rounded == _length)
            {
                return;
            }

            nint result = Sys.Mremap(old, _length, rounded, Sys.MREMAP_MAYMOVE, null);

            // Unlike mmap, mremap reports a size beyond the whole address space as EINVAL, not ENOMEM;
            // with these arguments that is its only EINVAL, and it is running out of memory all the same.
            if (result == -Sys.EINVAL)
            {
                ThrowOutOfMemory(result, "mremap", rounded, ": larger than the address space");
            }

            ThrowIfFailed(result, "mremap", rounded);
            _address = result;
            _length = rounded;
        }

        /// <summary>The whole region as a span of bytes.</summary>
        /// <returns>The span.</returns>
        /// <exception cref="InvalidOperationException">The region is larger than a span can be (2 GiB).</exception>
        public Span<byte> AsSpan()
        {
            byte* pointer = Pointer;
            if (_length > int.MaxValue)
            {
                throw new InvalidOperationException("The region's " + _length + " bytes do not fit one span; use AsSpan(offset, length).");
            }

            return new Span<byte>(pointer, (int)_length);
        }

        /// <summary><paramref name="length"/> bytes from <paramref name="offset"/>.</summary>
        /// <param name="offset">Byte offset into the region.</param>
        /// <param name="length">Number of bytes.</param>
        /// <returns>The span.</returns>
        public Span<byte> AsSpan(nuint offset, int length) => AsSpan<byte>(offset, length);

        /// <summary><paramref name="count"/> values of <typeparamref name="T"/> from byte offset <paramref name="byteOffset"/>.</summary>
        /// <typeparam name="T">An unmanaged type; the offset need not be aligned to it (x86_64 allows unaligned access).</typeparam>
        /// <param name="byteOffset">Byte offset into the region.</param>
        /// <param name="count">Number of values.</param>
        /// <returns>The span.</returns>
        /// <exception cref="ArgumentOutOfRangeException">The span would not lie within the region.</exception>
        public Span<T> AsSpan<T>(nuint byteOffset, int count)
            where T : unmanaged
        {
            byte* pointer = Pointer;
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            nuint bytes = (nuint)count * (nuint)sizeof(T);
            if (byteOffset > _length || bytes > _length - byteOffset)
            {
                throw new ArgumentOutOfRangeException(nameof(byteOffset), byteOffset, count + " values of " + sizeof(T) + " bytes at this offset end past the region's " + _length + " bytes.");
            }

            return new Span<T>(pointer + byteOffset, count);
        }

        /// <summary>Unmaps the memory (munmap). Calling it again does nothing.</summary>
        public void Dispose()
        {
            Unmap();
            GC.SuppressFinalize(this);
        }

        private static nuint RoundUpToPage(nuint bytes, string parameter)
        {
            nuint page = (nuint)Environment.SystemPageSize;
            if (bytes == 0 || bytes > nuint.MaxValue - (page - 1))
            {
                throw new ArgumentOutOfRangeException(parameter, bytes, "Expected 1 byte or more, and less than the address space.");
            }

            return (bytes + page - 1) & ~(page - 1);
        }

        private static void ThrowIfFailed(nint result, string syscall, nuint length)
        {
            if (result == -Sys.ENOMEM)
            {
                ThrowOutOfMemory(result, syscall, length, string.Empty);
            }

            if (Syscall.IsError(result))
            {
                Syscall.Throw(result, syscall, length + " bytes");
            }
        }

        // Running out of memory is an OutOfMemoryException to .NET code, whichever call found it; the
        // SyscallException inside keeps the syscall and errno.
        [DoesNotReturn]
        private static void ThrowOutOfMemory(nint result, string syscall, nuint length, string why)
        {
            var failed = new SyscallException(syscall, Errno.FromResult(result), length + " bytes");
            throw new OutOfMemoryException(syscall + " " + failed.Context + ": " + failed.Errno + why, failed);
        }

        private void Unmap()
        {
            nint address = Interlocked.Exchange(ref _address, 0);
            if (address != 0)
            {
                // munmap of a whole mapping made here fails only on a bug (EINVAL); there is nothing
                // useful to do about it, least of all on the finalizer thread, where throwing kills the process.
                _ = Sys.Munmap((void*)address, _length);
            }
        }
    }
}
