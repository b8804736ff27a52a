using System;
using EmbedKv.Server.Http;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// The query of a key's target: <c>ttl=SECONDS</c> on PUT and POST, nothing else (docs/api.md). A
    /// parameter we do not know is refused rather than ignored: a client that sent <c>?ttl=60</c> to a
    /// GET, or <c>?tll=60</c> to a PUT, would otherwise believe it had been obeyed. Names and values are
    /// ASCII tokens, compared as sent.
    /// </summary>
    internal static class KeyQuery
    {
        /// <summary>The longest time to live: ten years, in seconds.</summary>
        public const long MaxTimeToLive = 315_360_000;

        /// <summary>Reads the query; <paramref name="timeToLive"/> is 0 when none was given.</summary>
        public static RejectReason Read(ReadOnlySpan<byte> query, HttpMethod method, out long timeToLive)
        {
            timeToLive = 0;
            foreach (QueryParameter parameter in new QueryParameters(query))
            {
                if (parameter.Name.IsEmpty && !parameter.HasValue)
                {
                    continue; // "?" or "&&": an empty element names nothing
                }

                if (!parameter.Name.SequenceEqual("ttl"u8) || method is not (HttpMethod.Put or HttpMethod.Post))
                {
                    return RejectReason.UnknownQueryParameter;
                }

                if (timeToLive != 0 || !TryParseSeconds(parameter.Value, out timeToLive))
                {
                    return RejectReason.BadTimeToLive;
                }
            }

            return RejectReason.None;
        }

        private static bool TryParseSeconds(ReadOnlySpan<byte> digits, out long seconds)
        {
            seconds = 0;
            if (digits.IsEmpty || digits.Length > 12)
            {
                return false;
            }

            foreach (byte b in digits)
            {
                if (!FieldSyntax.IsDigit(b))
                {
                    return false;
                }

                seconds = (seconds * 10) + (b - '0');
            }

            return seconds is >= 1 and <= MaxTimeToLive;
        }
    }
}
