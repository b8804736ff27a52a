using System;
using System.IO;
using System.Threading;
using System.Threading.Tasks;

namespace EmbedKv.Client
{
    /// <summary>
    /// The caller's stream as a request body: HttpClient disposes a request's content, and StreamContent its
    /// stream, but the caller's stream is the caller's to close (and a retry reads it again). Reading it is
    /// the upload's progress, which keeps the try's <see cref="Deadline"/> from running out.
    /// </summary>
    internal sealed class UnownedStream : Stream
    {
        private readonly Stream _inner;
        private readonly Deadline _deadline;

        public UnownedStream(Stream inner, Deadline deadline)
        {
            _inner = inner;
            _deadline = deadline;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        // Each read is progress of the upload: the deadline counts again from it.
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            _deadline.Extend();
            return _inner.Read(buffer);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _deadline.Extend();
            return _inner.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
            => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
