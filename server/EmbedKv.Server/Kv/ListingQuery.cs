using System;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// The query of the listing route, <c>GET /?prefix=P&amp;after=K&amp;limit=N</c> (docs/api.md,
    /// "Listing"): P and K percent-encoded like keys in a path, N from 1 to 10000 (1000 if absent). Each at
    /// most once; any other parameter is refused, as on keys.
    /// </summary>
    internal sealed class ListingQuery
    {
        public const int DefaultLimit = 1000;

        public const int MaxLimit = 10_000;

        private readonly byte[] _prefix;
        private readonly byte[] _after;
        private int _prefixLength;
        private int _afterLength;

        public ListingQuery(int maxKeyLength)
        {
            _prefix = new byte[maxKeyLength];
            _after = new byte[maxKeyLength];
        }

        public ReadOnlySpan<byte> Prefix => _prefix.AsSpan(0, _prefixLength);

        public ReadOnlySpan<byte> After => _after.AsSpan(0, _afterLength);

        public int Limit { get; private set; }

        /// <summary>Reads the raw query; false (a 400) for an unknown, repeated or malformed parameter.</summary>
        public bool Read(ReadOnlySpan<byte> query)
        {
            _prefixLength = -1;
            _afterLength = -1;
            Limit = -1;
            bool ok = true;
            foreach (QueryParameter parameter in new QueryParameters(query))
            {
                ReadOnlySpan<byte> name = parameter.Name;
                if (name.IsEmpty && !parameter.HasValue)
                {
                    continue;
                }

                ok = name.SequenceEqual("prefix"u8) ? _prefixLength < 0 && TryDecode(parameter.Value, _prefix, out _prefixLength)
                    : name.SequenceEqual("after"u8) ? _afterLength < 0 && TryDecode(parameter.Value, _after, out _afterLength)
                    : name.SequenceEqual("limit"u8) && Limit < 0 && TryParseLimit(parameter.Value, out int limit) && (Limit = limit) > 0;
                if (!ok)
                {
                    break;
                }
            }

            _prefixLength = Math.Max(_prefixLength, 0);
            _afterLength = Math.Max(_afterLength, 0);
            Limit = Limit < 0 ? DefaultLimit : Limit;
            return ok;
        }

        /// <summary>A percent-encoded key (the parser checked the encoding), at most as long as a key may be.</summary>
        private static bool TryDecode(ReadOnlySpan<byte> encoded, byte[] destination, out int length)
        {
            length = -1;
            if (KeyDecoder.DecodedLength(encoded) > destination.Length)
            {
                return false;
            }

            length = KeyDecoder.Decode(encoded, destination);
            return true;
        }

        private static bool TryParseLimit(ReadOnlySpan<byte> digits, out int limit)
        {
            limit = 0;
            if (digits.IsEmpty || digits.Length > 5)
            {
                return false;
            }

            foreach (byte b in digits)
            {
                if (!FieldSyntax.IsDigit(b))
                {
                    return false;
                }

                limit = (limit * 10) + (b - '0');
            }

            return limit is >= 1 and <= MaxLimit;
        }

        /// <summary>
        /// The prefix a listing walks when its token reaches only keys under <paramref name="tokenPrefix"/>: the
        /// longer of the two when one extends the other, and none at all (<paramref name="disjoint"/>) when
        /// they part ways, so a prefix-limited token never sees a key it could not read.
        /// </summary>
        public static ReadOnlySpan<byte> NarrowedPrefix(ReadOnlySpan<byte> asked, ReadOnlySpan<byte> tokenPrefix, out bool disjoint)
        {
            disjoint = false;
            if (asked.StartsWith(tokenPrefix))
            {
                return asked;
            }

            if (tokenPrefix.StartsWith(asked))
            {
                return tokenPrefix;
            }

            disjoint = true;
            return asked;
        }
    }
}
