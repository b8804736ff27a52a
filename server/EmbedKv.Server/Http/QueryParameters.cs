using System;

namespace EmbedKv.Server.Http
{
    /// <summary>One <c>name[=value]</c> pair of a query, both still percent-encoded.</summary>
    internal readonly ref struct QueryParameter
    {
        public QueryParameter(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool hasValue)
        {
            Name = name;
            Value = value;
            HasValue = hasValue;
        }

        /// <summary>What precedes the first '=' (or the whole pair if it has none), percent-encoded.</summary>
        public ReadOnlySpan<byte> Name { get; }

        /// <summary>What follows the first '=', percent-encoded; empty when there is none or it is empty.</summary>
        public ReadOnlySpan<byte> Value { get; }

        /// <summary>The pair had an '=' (<c>a=</c> has an empty value, <c>a</c> none).</summary>
        public bool HasValue { get; }
    }

    /// <summary>
    /// The pairs of a raw query (the target after '?', <see cref="RequestHead.QueryOffset"/>), split on
    /// '&amp;' and each at its first '='. RFC 3986 §3.4 gives a query no inner structure: this is the
    /// usual <c>name=value&amp;…</c> convention, read for the listing route. Empty pairs (<c>a=1&amp;&amp;b=2</c>)
    /// are skipped. Names and values stay percent-encoded, for <see cref="KeyDecoder"/>; '+' is not a
    /// space here (that is HTML form encoding, not RFC 3986). The parser has already refused a query
    /// with bytes outside RFC 3986 or a bad percent-encoding.
    /// </summary>
    internal ref struct QueryParameters
    {
        private ReadOnlySpan<byte> _rest;

        public QueryParameters(ReadOnlySpan<byte> query)
        {
            _rest = query;
            Current = default;
        }

        /// <summary>The pair the last <see cref="MoveNext"/> found.</summary>
        public QueryParameter Current { get; private set; }

        public readonly QueryParameters GetEnumerator() => this;

        public bool MoveNext()
        {
            while (!_rest.IsEmpty)
            {
                int amp = _rest.IndexOf((byte)'&');
                ReadOnlySpan<byte> pair = amp < 0 ? _rest : _rest.Slice(0, amp);
                _rest = amp < 0 ? default : _rest.Slice(amp + 1);
                if (pair.IsEmpty)
                {
                    continue;
                }

                int equals = pair.IndexOf((byte)'=');
                Current = equals < 0
                    ? new QueryParameter(pair, default, hasValue: false)
                    : new QueryParameter(pair.Slice(0, equals), pair.Slice(equals + 1), hasValue: true);
                return true;
            }

            Current = default;
            return false;
        }
    }
}
