using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// Where a value lies on disk, with its segment held open: send it with <c>sendfile</c> from
    /// <see cref="FileDescriptor"/> at <see cref="FileOffset"/>, or read it with <see cref="KvStore.ReadValue"/>.
    /// Call <see cref="Release"/> exactly once when done; until then the file stays open even if a merge
    /// retires the segment.
    /// </summary>
    internal readonly struct StoredValue
    {
        private readonly Segment? _segment;

        internal StoredValue(Segment segment, long fileOffset, long length, ulong version, uint expires)
        {
            _segment = segment;
            FileOffset = fileOffset;
            Length = length;
            Version = version;
            Expires = expires;
        }

        /// <summary>The segment's file descriptor, valid until <see cref="Release"/>.</summary>
        public int FileDescriptor => _segment!.Handle.Descriptor.Value;

        /// <summary>Offset of the value's first byte in the file.</summary>
        public long FileOffset { get; }

        /// <summary>The value's length in bytes.</summary>
        public long Length { get; }

        /// <summary>The value's version (see <see cref="WriteResult.Version"/>).</summary>
        public ulong Version { get; }

        /// <summary>When the value expires, in Unix seconds; 0 if never.</summary>
        public uint Expires { get; }

        internal Segment Segment => _segment!;

        /// <summary>The part of the value from <paramref name="start"/> on, <paramref name="count"/> bytes long (a range); the same hold.</summary>
        internal StoredValue Slice(long start, long count) => new StoredValue(_segment!, FileOffset + start, count, Version, Expires);

        /// <summary>Lets the segment's file close if it was retired.</summary>
        public void Release() => _segment?.Release();
    }
}
