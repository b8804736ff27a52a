using System;
using System.Text;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// Every value of one field in a parsed head, in order, each with its OWS trimmed: the lines of a list
    /// field read as one comma-separated value (RFC 9110 §5.3). It reads a head the parser accepted, so it
    /// does not judge the syntax again; it allocates nothing.
    /// <code>
    /// foreach (ReadOnlySpan&lt;byte&gt; value in new FieldValues(buffer.Slice(0, head.HeadLength), "If-Match"u8)) { … }
    /// </code>
    /// </summary>
    internal ref struct FieldValues
    {
        private const byte LF = (byte)'\n';

        private readonly ReadOnlySpan<byte> _name;
        private ReadOnlySpan<byte> _lines;
        private ReadOnlySpan<byte> _first;
        private bool _hasFirst;

        /// <summary>Walks every field line of <paramref name="head"/> (the request line and what follows the empty line are skipped).</summary>
        public FieldValues(ReadOnlySpan<byte> head, ReadOnlySpan<byte> name)
        {
            _name = name;
            _first = default;
            _hasFirst = false;

            // Up to 4 empty lines may precede the request line (RFC 9112 §2.2), then the request line itself.
            int start = 0;
            while (head.Length - start >= 2 && head[start] == (byte)'\r' && head[start + 1] == LF)
            {
                start += 2;
            }

            int requestLineEnd = head.Slice(start).IndexOf(LF);
            _lines = requestLineEnd < 0 ? default : head.Slice(start + requestLineEnd + 1);
        }

        /// <summary>
        /// Starts from the occurrence the parser recorded in <paramref name="field"/>, so the lines before it
        /// are not read again; <paramref name="buffer"/> is the buffer the head was parsed from.
        /// </summary>
        public FieldValues(ReadOnlySpan<byte> buffer, in FieldRef field, ReadOnlySpan<byte> name)
        {
            _name = name;
            _hasFirst = field.Count > 0;
            _first = _hasFirst ? buffer.Slice(field.Offset, field.Length) : default;
            if (field.Count > 1)
            {
                int lineEnd = buffer.Slice(field.Offset + field.Length).IndexOf(LF);
                _lines = lineEnd < 0 ? default : buffer.Slice(field.Offset + field.Length + lineEnd + 1);
            }
            else
            {
                _lines = default;
            }
        }

        /// <summary>The value found by the last <see cref="MoveNext"/>.</summary>
        public ReadOnlySpan<byte> Current { get; private set; }

        public readonly FieldValues GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_hasFirst)
            {
                _hasFirst = false;
                Current = _first;
                return true;
            }

            while (true)
            {
                int end = _lines.IndexOf(LF);
                if (end <= 1)
                {
                    // The empty line that ends the head (or no whole line left).
                    _lines = default;
                    Current = default;
                    return false;
                }

                ReadOnlySpan<byte> line = _lines.Slice(0, end - 1);
                _lines = _lines.Slice(end + 1);
                if (line.Length > _name.Length && line[_name.Length] == (byte)':' && Ascii.EqualsIgnoreCase(line.Slice(0, _name.Length), _name))
                {
                    Current = FieldSyntax.TrimOws(line.Slice(_name.Length + 1));
                    return true;
                }
            }
        }
    }
}
