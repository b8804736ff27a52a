using System;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// Where a header field the handler reads sits in the parsed buffer: the first occurrence's value
    /// (OWS trimmed), and how many field lines carried the field. A list field may come on several lines
    /// (RFC 9110 §5.3); when <see cref="Count"/> is over 1, <see cref="FieldValues"/> walks them all, so
    /// the parser keeps one reference per field instead of a list that would need an allocation.
    /// </summary>
    internal struct FieldRef
    {
        /// <summary>Offset of the first occurrence's value in the parsed buffer.</summary>
        public int Offset;

        /// <summary>Length of the first occurrence's value.</summary>
        public int Length;

        /// <summary>How many field lines carried the field; 0 when it is absent.</summary>
        public int Count;

        /// <summary>The field came at least once.</summary>
        public readonly bool IsPresent => Count > 0;

        /// <summary>The first occurrence's value in <paramref name="buffer"/>, the buffer the head was parsed from.</summary>
        public readonly ReadOnlySpan<byte> FirstValue(ReadOnlySpan<byte> buffer) => buffer.Slice(Offset, Length);
    }
}
