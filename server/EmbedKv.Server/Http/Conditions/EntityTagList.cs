using System;

namespace EmbedKv.Server.Http.Conditions
{
    /// <summary>What an If-Match or If-None-Match value is, as <see cref="EntityTagList.Check"/> reads it.</summary>
    internal enum EntityTagListKind : byte
    {
        /// <summary>Neither "*" nor a list of entity-tags.</summary>
        Malformed,

        /// <summary>"*": any current representation.</summary>
        Any,

        /// <summary>A list of entity-tags, possibly empty.</summary>
        Tags,
    }

    /// <summary>One entity-tag of a list: whether it is weak, and its opaque-tag with the quotes.</summary>
    internal readonly ref struct ListedEntityTag
    {
        public ListedEntityTag(bool isWeak, ReadOnlySpan<byte> opaqueTag)
        {
            IsWeak = isWeak;
            OpaqueTag = opaqueTag;
        }

        /// <summary>The tag had the <c>W/</c> prefix.</summary>
        public bool IsWeak { get; }

        /// <summary>The opaque-tag, quotes included (the prefix is not).</summary>
        public ReadOnlySpan<byte> OpaqueTag { get; }
    }

    /// <summary>
    /// Reads one If-Match or If-None-Match value (RFC 9110 §13.1.1, §13.1.2):
    /// <code>
    /// If-Match      = "*" / #entity-tag
    /// If-None-Match = "*" / #entity-tag
    /// #element      = [ element ] *( OWS "," OWS [ element ] )    (a recipient's list, §5.6.1.2)
    /// </code>
    /// so empty elements (<c>, ,"a",</c>) and an empty value are a list, of no tags. "*" is only ever
    /// alone: <c>*, "a"</c> is malformed. Use <c>while (list.MoveNext())</c> and then
    /// <see cref="IsMalformed"/> to tell the end of the list from a syntax error; the parser has already
    /// refused a malformed value, so the handler's lists end cleanly.
    /// </summary>
    internal ref struct EntityTagList
    {
        private readonly ReadOnlySpan<byte> _value;
        private int _position;

        public EntityTagList(ReadOnlySpan<byte> value)
        {
            _value = FieldSyntax.TrimOws(value);
            _position = 0;
            IsAny = _value.Length == 1 && _value[0] == (byte)'*';
            IsMalformed = false;
            Current = default;
            if (IsAny)
            {
                _position = _value.Length;
            }
        }

        /// <summary>The value is "*".</summary>
        public readonly bool IsAny { get; }

        /// <summary>The last <see cref="MoveNext"/> stopped on a syntax error, not at the end.</summary>
        public bool IsMalformed { get; private set; }

        /// <summary>The tag the last <see cref="MoveNext"/> found.</summary>
        public ListedEntityTag Current { get; private set; }

        /// <summary>What <paramref name="value"/> is: "*", a list of entity-tags, or neither.</summary>
        public static EntityTagListKind Check(ReadOnlySpan<byte> value)
        {
            var list = new EntityTagList(value);
            if (list.IsAny)
            {
                return EntityTagListKind.Any;
            }

            while (list.MoveNext())
            {
            }

            return list.IsMalformed ? EntityTagListKind.Malformed : EntityTagListKind.Tags;
        }

        public readonly EntityTagList GetEnumerator() => this;

        /// <summary>Moves to the next entity-tag; false at the end of the list or on a syntax error.</summary>
        public bool MoveNext()
        {
            while (true)
            {
                _position = SkipOws(_position);
                if (_position >= _value.Length || IsMalformed)
                {
                    Current = default;
                    return false;
                }

                if (_value[_position] == (byte)',')
                {
                    _position++; // an empty element
                    continue;
                }

                ReadOnlySpan<byte> rest = _value.Slice(_position);
                int length = EntityTag.Measure(rest, out bool isWeak);
                int after = length < 0 ? -1 : SkipOws(_position + length);

                // After a tag: the end, or OWS "," (so "a" "b" without a comma is malformed).
                if (after < 0 || (after < _value.Length && _value[after] != (byte)','))
                {
                    IsMalformed = true;
                    _position = _value.Length;
                    Current = default;
                    return false;
                }

                Current = new ListedEntityTag(isWeak, rest.Slice(isWeak ? 2 : 0, length - (isWeak ? 2 : 0)));
                _position = after < _value.Length ? after + 1 : after;
                return true;
            }
        }

        private readonly int SkipOws(int position)
        {
            while (position < _value.Length && FieldSyntax.IsWhitespace(_value[position]))
            {
                position++;
            }

            return position;
        }
    }
}
