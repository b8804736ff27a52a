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
    /// it hands out data ranges and consumes framing, keeping its state between calls, so the verdict
    /// never depends on where the input was split. The framing is held to the exact grammar:
    /// <code>
    /// chunk      = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
    /// chunk-size = 1*HEXDIG                       (at most 10 digits here)
    /// chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
    /// chunk-ext-name = token ; chunk-ext-val = token / quoted-string
    /// trailer-section = *( field-name ":" OWS field-value OWS CRLF )
    /// </code>
    /// with one narrowing: no whitespace between the chunk-size and the first ";". Extensions and
    /// trailer fields are checked, then ignored (RFC 9112 §7.1.1, §7.1.2): nothing of them is kept.
    /// </summary>
    internal struct ChunkedDecoder
    {
        private const byte CR = (byte)'\r';
        private const byte LF = (byte)'\n';

        // 2^40 bytes: far above any value the store takes; larger sizes are refused outright, so the
        // arithmetic can never overflow whatever the client sends. Leading zeros count: the limit is on
        // the text, so a size line cannot be padded without end either.
        private const int MaxSizeDigits = 10;

        // Bounds the framing read between two pieces of data: a chunk-size line with its extensions,
        // or the whole trailer section. Both are otherwise unlimited text that is thrown away.
        private const int MaxFramingBytes = 16 * 1024;

        private State _state;
        private long _remaining;
        private int _digits;
        private int _framingBytes;

        private enum State : byte
        {
            /// <summary>In chunk-size (the first state, so a default decoder starts a body).</summary>
            Size,

            /// <summary>After a ";", before the extension's name (BWS allowed).</summary>
            ExtNameStart,

            /// <summary>In an extension's name.</summary>
            ExtName,

            /// <summary>Whitespace after a name: only "=" or ";" may come next.</summary>
            ExtAfterName,

            /// <summary>After "=", before the value (BWS allowed).</summary>
            ExtValueStart,

            /// <summary>In a token value.</summary>
            ExtToken,

            /// <summary>Inside a quoted-string value.</summary>
            ExtQuoted,

            /// <summary>After a backslash inside a quoted-string.</summary>
            ExtQuotedPair,

            /// <summary>Just after a quoted-string's closing quote.</summary>
            ExtQuotedEnd,

            /// <summary>Whitespace after a value: only ";" may come next.</summary>
            ExtAfterValue,

            /// <summary>The CR of the chunk-size line was read.</summary>
            SizeLf,

            Data,
            DataCr,
            DataLf,

            /// <summary>At the start of a trailer field, or of the empty line that ends the body.</summary>
            TrailerLineStart,
            TrailerName,
            TrailerValue,
            TrailerLf,
            FinalLf,
            Done,
        }

        /// <summary>Total body bytes announced by chunk sizes so far (to check against the largest value).</summary>
        public long Announced { get; private set; }

        /// <summary>Decodes from <paramref name="input"/>: on <see cref="ChunkStatus.Data"/>, the data is input[dataStart..dataStart+dataLength].</summary>
        /// <remarks>On <see cref="ChunkStatus.Error"/>, <paramref name="consumed"/> is the offset of the offending byte.</remarks>
        public ChunkStatus Decode(ReadOnlySpan<byte> input, out int consumed, out int dataStart, out int dataLength)
        {
            dataStart = 0;
            dataLength = 0;
            int i = 0;
            while (i < input.Length)
            {
                if (_state == State.Done)
                {
                    consumed = i;
                    return ChunkStatus.Done;
                }

                if (_state == State.Data)
                {
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
                }

                if (++_framingBytes > MaxFramingBytes || !Step(input[i]))
                {
                    consumed = i;
                    return ChunkStatus.Error;
                }

                i++;
                if (_state == State.Done)
                {
                    consumed = i;
                    return ChunkStatus.Done;
                }
            }

            consumed = i;
            return _state == State.Done ? ChunkStatus.Done : ChunkStatus.NeedMore;
        }

        /// <summary>Takes one byte of framing; false if the grammar has no place for it.</summary>
        private bool Step(byte b)
        {
            switch (_state)
            {
                case State.Size:
                    int hex = KeyDecoder.HexValue(b);
                    if (hex >= 0)
                    {
                        if (++_digits > MaxSizeDigits)
                        {
                            return false;
                        }

                        _remaining = (_remaining << 4) | (uint)hex;
                        return true;
                    }

                    if (_digits == 0)
                    {
                        return false; // chunk-size = 1*HEXDIG: an empty size is not zero
                    }

                    // Whitespace after the size is refused although the grammar's BWS allows it before
                    // ";": it is where parsers disagree ("3 9" is 3 to some, 0x39 to others, an error
                    // to the strict), and a disagreement between a proxy and us is a smuggled request.
                    // A bare LF is refused too (RFC 9112 §7.1 wants CRLF).
                    return b == (byte)';' ? Next(State.ExtNameStart, true) : Next(State.SizeLf, b == CR);

                case State.ExtNameStart:
                    return FieldSyntax.IsWhitespace(b) || Next(State.ExtName, FieldSyntax.IsTchar(b));

                case State.ExtName:
                    if (FieldSyntax.IsTchar(b))
                    {
                        return true;
                    }

                    return b == (byte)'=' ? Next(State.ExtValueStart, true) : AfterExtension(b, State.ExtAfterName);

                case State.ExtAfterName:
                    // BWS belongs before "=" or ";" only: "a \r\n" is not in the grammar.
                    return FieldSyntax.IsWhitespace(b)
                        || (b == (byte)'=' ? Next(State.ExtValueStart, true) : Next(State.ExtNameStart, b == (byte)';'));

                case State.ExtValueStart:
                    return FieldSyntax.IsWhitespace(b)
                        || (b == (byte)'"' ? Next(State.ExtQuoted, true) : Next(State.ExtToken, FieldSyntax.IsTchar(b)));

                case State.ExtToken:
                    return FieldSyntax.IsTchar(b) || AfterExtension(b, State.ExtAfterValue);

                case State.ExtQuoted:
                    // qdtext excludes every CTL but HTAB, DEL too: a CR inside quotes is not a line end.
                    if (b == (byte)'"')
                    {
                        return Next(State.ExtQuotedEnd, true);
                    }

                    return b == (byte)'\\' ? Next(State.ExtQuotedPair, true) : FieldSyntax.IsQdtext(b);

                case State.ExtQuotedPair:
                    return Next(State.ExtQuoted, FieldSyntax.IsFieldValueByte(b)); // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )

                case State.ExtQuotedEnd:
                    return AfterExtension(b, State.ExtAfterValue);

                case State.ExtAfterValue:
                    return FieldSyntax.IsWhitespace(b) || Next(State.ExtNameStart, b == (byte)';');

                case State.SizeLf:
                    if (b != LF)
                    {
                        return false;
                    }

                    Announced += _remaining;
                    _framingBytes = 0;
                    _state = _remaining == 0 ? State.TrailerLineStart : State.Data;
                    return true;

                case State.DataCr:
                    return Next(State.DataLf, b == CR); // chunk-data is exactly chunk-size bytes, then CRLF

                case State.DataLf:
                    if (b != LF)
                    {
                        return false;
                    }

                    _digits = 0;
                    _remaining = 0;
                    _framingBytes = 0;
                    _state = State.Size;
                    return true;

                case State.TrailerLineStart:
                    // An empty line ends the body. A line that starts with whitespace would be obs-fold,
                    // and an empty name is no field: both are refused, as in the head (RFC 9112 §5.2).
                    return b == CR ? Next(State.FinalLf, true) : Next(State.TrailerName, FieldSyntax.IsTchar(b));

                case State.TrailerName:
                    // No whitespace before the colon (RFC 9112 §5.1), as in the head.
                    return FieldSyntax.IsTchar(b) || Next(State.TrailerValue, b == (byte)':');

                case State.TrailerValue:
                    // OWS field-value OWS: all field-value bytes, so no CTL but HTAB, no DEL, no bare LF.
                    return b == CR ? Next(State.TrailerLf, true) : FieldSyntax.IsFieldValueByte(b);

                case State.TrailerLf:
                    return Next(State.TrailerLineStart, b == LF);

                case State.FinalLf:
                    return Next(State.Done, b == LF);

                default:
                    return false;
            }
        }

        /// <summary>After a whole extension name or value: BWS (into <paramref name="whitespace"/>), the next ";", or the line's CR.</summary>
        private bool AfterExtension(byte b, State whitespace)
        {
            if (FieldSyntax.IsWhitespace(b))
            {
                return Next(whitespace, true);
            }

            return b == (byte)';' ? Next(State.ExtNameStart, true) : Next(State.SizeLf, b == CR);
        }

        /// <summary>Moves to <paramref name="state"/> if <paramref name="allowed"/>; returns <paramref name="allowed"/>.</summary>
        private bool Next(State state, bool allowed)
        {
            if (allowed)
            {
                _state = state;
            }

            return allowed;
        }
    }
}
