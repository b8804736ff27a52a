// Paths as the kernel reads them, encoded without allocating on every call.
using System;
using System.Buffers;
using System.Text;

namespace EmbedKv.Runtime.Files
{
    /// <summary>
    /// A path as the kernel reads it: UTF-8 bytes ending in NUL. A path that fits lives in the caller's
    /// stack buffer (<c>stackalloc byte[Utf8Path.StackLimit]</c>); a longer one in an array rented from
    /// <see cref="ArrayPool{T}"/> and returned by <see cref="Dispose"/>. Either way nothing is allocated.
    /// </summary>
    /// <example><code>
    /// using var name = new Utf8Path(path, stackalloc byte[Utf8Path.StackLimit]);
    /// fixed (byte* p = name) { Sys.Openat(Sys.AT_FDCWD, p, flags, mode); }
    /// </code></example>
    internal ref struct Utf8Path
    {
        /// <summary>Size of the stack buffer callers pass: paths up to 511 bytes (plus the NUL) stay on the stack.</summary>
        internal const int StackLimit = 512;

        // Strict: a lone surrogate would otherwise become U+FFFD and silently name a different file.
        private static readonly UTF8Encoding StrictUtf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

        private readonly Span<byte> _bytes;
        private byte[]? _rented;

        /// <summary>Encodes <paramref name="path"/>.</summary>
        /// <param name="path">The path; not empty, no NUL characters, valid UTF-16.</param>
        /// <param name="stackBuffer">A caller's stackalloc buffer, used when the path fits.</param>
        internal Utf8Path(string path, Span<byte> stackBuffer)
        {
            ArgumentNullException.ThrowIfNull(path);
            if (path.Length == 0)
            {
                throw new ArgumentException("A path must not be empty.", nameof(path));
            }

            // The kernel stops at the first NUL, so "a\0b" would quietly mean "a".
            if (path.Contains('\0'))
            {
                throw new ArgumentException("A path must not contain NUL characters: " + path.Replace("\0", "\\0", StringComparison.Ordinal), nameof(path));
            }

            // A UTF-16 char never takes more than 3 UTF-8 bytes, so short paths skip the exact count.
            int length = path.Length < stackBuffer.Length / 3 ? path.Length * 3 : StrictUtf8.GetByteCount(path);
            Span<byte> buffer = length < stackBuffer.Length ? stackBuffer : (_rented = ArrayPool<byte>.Shared.Rent(length + 1));
            int written = StrictUtf8.GetBytes(path, buffer);
            buffer[written] = 0;
            _bytes = buffer.Slice(0, written + 1);
        }

        /// <summary>The encoded path including its trailing NUL.</summary>
        internal readonly ReadOnlySpan<byte> Bytes => _bytes;

        /// <summary>Lets <c>fixed (byte* p = utf8Path)</c> pin the bytes.</summary>
        /// <returns>A reference to the first byte.</returns>
        public readonly ref byte GetPinnableReference() => ref _bytes.GetPinnableReference();

        /// <summary>Returns a rented array to the pool.</summary>
        public void Dispose()
        {
            if (_rented is not null)
            {
                ArrayPool<byte>.Shared.Return(_rented);
                _rented = null;
            }
        }
    }
}
