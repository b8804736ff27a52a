using System;

namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>What <see cref="BodyReader.Read"/> found.</summary>
    internal enum BodyStatus : byte
    {
        /// <summary>Data (possibly none) was found; more of the body follows.</summary>
        More,

        /// <summary>The input ended inside chunked framing: read more first.</summary>
        NeedInput,

        /// <summary>The body is complete.</summary>
        Done,

        /// <summary>The chunked framing is malformed (RFC 9112 §7.1).</summary>
        Malformed,
    }

    /// <summary>
    /// Finds a request body in the input, framed by Content-Length or by the chunked coding (RFC 9112 §6.3):
    /// which bytes are data, and where the body ends. It keeps its place between calls, so the verdict never
    /// depends on how the body was split across reads.
    /// </summary>
    internal struct BodyReader
    {
        // Content-Length bytes still to come; -1 for a chunked body.
        private long _remaining;
        private ChunkedDecoder _chunks;

        /// <summary>There is no body to read at all (Content-Length: 0).</summary>
        public readonly bool Empty => _remaining == 0;

        /// <summary>Data bytes the chunk sizes announced so far (0 for Content-Length framing, checked at the head).</summary>
        public readonly long Announced => _chunks.Announced;

        public void Start(in RequestHead head)
        {
            _remaining = head.Chunked ? -1 : head.ContentLength;
            _chunks = default;
        }

        /// <summary>Reads the body's next bytes at the start of <paramref name="input"/>; <paramref name="consumed"/> counts framing and data.</summary>
        public BodyStatus Read(ReadOnlySpan<byte> input, out int consumed, out int dataStart, out int dataLength)
        {
            if (_remaining >= 0)
            {
                consumed = dataLength = (int)Math.Min(input.Length, _remaining);
                dataStart = 0;
                _remaining -= consumed;
                return _remaining == 0 ? BodyStatus.Done : BodyStatus.More;
            }

            return _chunks.Decode(input, out consumed, out dataStart, out dataLength) switch
            {
                ChunkStatus.Error => BodyStatus.Malformed,
                ChunkStatus.Done => BodyStatus.Done,
                ChunkStatus.NeedMore => BodyStatus.NeedInput,
                _ => BodyStatus.More,
            };
        }
    }
}
