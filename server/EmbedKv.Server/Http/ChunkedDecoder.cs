using System;

namespace EmbedKv.Server.Http
{
    /// <summary>What <see cref="ChunkedDecoder.Decode"/> found.</summary>
    internal enum ChunkStatus
    {
        /// <summary>Data bytes are ready (possibly none, if all input was framing); call again with the rest.</summary>
        Data,

        /// <summary>The input ended inside framing: read more.</summary>
        NeedMore,

        /// <summary>The last chunk and the trailer section ended: the body is complete.</summary>
        Done,

        /// <summary>The framing is malformed (RFC 9112 §7.1): 400, and close.</summary>
        Error,
    }

    /// <summary>
    /// An incremental decoder of the chunked transfer coding (RFC 9112 §7.1): feed it whatever arrived,
    /// it hands out data ranges and consumes framing, keeping its state between calls. Chunk extensions
    /// and trailer fields are accepted and ignored; a chunk-size line must end in CRLF.
    /// </summary>
    internal struct ChunkedDecoder
    {
        // 2^40 bytes: far above any value the store takes; larger sizes are refused outright, so the
        // arithmetic can never overflow whatever the client sends.
        private const int MaxSizeDigits = 10;

        // Bounds what the decoder reads of extensions and trailers, which are otherwise unlimited text.
        private const int MaxLineBytes = 16 * 1024;

        private State _state;
        private long _remaining;
        private int _digits;
        private int _lineBytes;

        private enum State : byte
        {
            Size,
            Extension,
            SizeLf,
            Data,
            DataCr,
            DataLf,
            TrailerLineStart,
            TrailerLine,
            TrailerLf,
            FinalLf,
            Done,
        }

        /// <summary>Total body bytes announced by chunk sizes so far (to check against the largest value).</summary>
        public long Announced { get; private set; }

        /// <summary>Decodes from <paramref name="input"/>: on <see cref="ChunkStatus.Data"/>, the data is input[dataStart..dataStart+dataLength].</summary>
        public ChunkStatus Decode(ReadOnlySpan<byte> input, out int consumed, out int dataStart, out int dataLength)
        {
            dataStart = 0;
            dataLength = 0;
            int i = 0;
            while (i < input.Length)
            {
                byte b = input[i];
                switch (_state)
                {
                    case State.Size:
                        int hex = KeyDecoder.HexValue(b);
                        if (hex >= 0)
                        {
                            if (++_digits > MaxSizeDigits)
                            {
                                return Fail(out consumed, i);
                            }

                            _remaining = (_remaining << 4) | (uint)hex;
                        }
                        else if (_digits == 0)
                        {
                            return Fail(out consumed, i); // chunk-size = 1*HEXDIG
                        }
                        else if (b == (byte)';' || b == (byte)' ' || b == (byte)'\t')
                        {
                            _state = State.Extension; // chunk-ext (BWS before ';' is tolerated as RFC 9112 §7.1.1 allows)
                        }
                        else if (b == (byte)'\r')
                        {
                            _state = State.SizeLf;
                        }
                        else
                        {
                            return Fail(out consumed, i); // includes a bare LF after the size
                        }

                        break;

                    case State.Extension:
                        if (b == (byte)'\r')
                        {
                            _state = State.SizeLf;
                        }
                        else if (b == (byte)'\n' || (b < 0x20 && b != (byte)'\t') || ++_lineBytes > MaxLineBytes)
                        {
                            return Fail(out consumed, i);
                        }

                        break;

                    case State.SizeLf:
                        if (b != (byte)'\n')
                        {
                            return Fail(out consumed, i);
                        }

                        Announced += _remaining;
                        _lineBytes = 0;
                        _state = _remaining == 0 ? State.TrailerLineStart : State.Data;
                        break;

                    case State.Data:
                        int take = (int)Math.Min(_remaining, input.Length - i);
                        dataStart = i;
                        dataLength = take;
                        _remaining -= take;
                        if (_remaining == 0)
                        {
                            _state = State.DataCr;
                        }

                        consumed = i + take;
                        return ChunkStatus.Data;

                    case State.DataCr:
                        if (b != (byte)'\r')
                        {
                            return Fail(out consumed, i);
                        }

                        _state = State.DataLf;
                        break;

                    case State.DataLf:
                        if (b != (byte)'\n')
                        {
                            return Fail(out consumed, i);
                        }

                        _digits = 0;
                        _remaining = 0;
                        _state = State.Size;
                        break;

                    case State.TrailerLineStart:
                        // An empty line ends the trailer section; anything else is a trailer field, ignored.
                        _state = b == (byte)'\r' ? State.FinalLf : State.TrailerLine;
                        if (b == (byte)'\n')
                        {
                            return Fail(out consumed, i);
                        }

                        break;

                    case State.TrailerLine:
                        if (b == (byte)'\r')
                        {
                            _state = State.TrailerLf;
                        }
                        else if (b == (byte)'\n' || ++_lineBytes > MaxLineBytes)
                        {
                            return Fail(out consumed, i);
                        }

                        break;

                    case State.TrailerLf:
                        if (b != (byte)'\n')
                        {
                            return Fail(out consumed, i);
                        }

                        _state = State.TrailerLineStart;
                        break;

                    case State.FinalLf:
                        if (b != (byte)'\n')
                        {
                            return Fail(out consumed, i);
                        }

                        _state = State.Done;
                        consumed = i + 1;
                        return ChunkStatus.Done;

                    default:
                        consumed = i;
                        return ChunkStatus.Done;
                }

                i++;
            }

            consumed = i;
            return _state == State.Done ? ChunkStatus.Done : ChunkStatus.NeedMore;
        }

        private static ChunkStatus Fail(out int consumed, int at)
        {
            consumed = at;
            return ChunkStatus.Error;
        }
    }
}
