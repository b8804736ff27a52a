using System;

namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>What reading more of a request body came to.</summary>
    internal enum BodyStep : byte
    {
        /// <summary>Bytes were taken; more of the body follows.</summary>
        More,

        /// <summary>The input ended inside chunked framing: read more first.</summary>
        NeedInput,

        /// <summary>The body is complete.</summary>
        Done,

        /// <summary>The chunked framing is malformed (RFC 9112 §7.1): 400.</summary>
        Malformed,

        /// <summary>The chunk sizes announced more than the handler takes: 413.</summary>
        TooLarge,

        /// <summary>The handler refused the bytes and queued its own answer.</summary>
        Refused,
    }

    /// <summary>
    /// One request's body, framed by Content-Length or by the chunked coding (RFC 9112 §6.3): which input
    /// bytes are data and where the body ends. Data goes to the handler, or is dropped for a method that
    /// takes none. It keeps its place between reads, so the verdict never depends on how the body was split.
    /// </summary>
    internal struct RequestBody
    {
        // Content-Length bytes still to come; -1 for a chunked body.
        private long _remaining;
        private ChunkedDecoder _chunks;
        private bool _discard;

        /// <summary>There is no body to read at all (Content-Length: 0).</summary>
        public readonly bool Empty => _remaining == 0;

        public void Start(in RequestHead head, bool discard)
        {
            _remaining = head.Chunked ? -1 : head.ContentLength;
            _chunks = default;
            _discard = discard;
        }

        /// <summary>Takes the body's next bytes from the unread input.</summary>
        public BodyStep Read(ConnectionBuffers buffers, IRequestHandler handler)
        {
            ReadOnlySpan<byte> input = buffers.Unread;
            BodyStep step = Frame(input, out int consumed, out int dataStart, out int dataLength);
            if (step == BodyStep.Malformed)
            {
                return step;
            }

            if (!_discard)
            {
                // Content-Length was held to the limit at the head; chunks are held to it as they are announced.
                if (_chunks.Announced > handler.MaxBodyLength)
                {
                    return BodyStep.TooLarge;
                }

                if (dataLength > 0 && !handler.Append(input.Slice(dataStart, dataLength)))
                {
                    return BodyStep.Refused;
                }
            }

            buffers.Consume(consumed);
            return step;
        }

        private BodyStep Frame(ReadOnlySpan<byte> input, out int consumed, out int dataStart, out int dataLength)
        {
            if (_remaining >= 0)
            {
                consumed = dataLength = (int)Math.Min(input.Length, _remaining);
                dataStart = 0;
                _remaining -= consumed;
                return _remaining == 0 ? BodyStep.Done : BodyStep.More;
            }

            return _chunks.Decode(input, out consumed, out dataStart, out dataLength) switch
            {
                ChunkStatus.Error => BodyStep.Malformed,
                ChunkStatus.Done => BodyStep.Done,
                ChunkStatus.NeedMore => BodyStep.NeedInput,
                _ => BodyStep.More,
            };
        }
    }
}
