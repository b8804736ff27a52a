using System;
using System.Text;
using EmbedKv.Server.Http.Conditions;

namespace EmbedKv.Server.Http
{
    /// <summary>
    /// The header fields the parser records for the handler (<see cref="RequestHead"/>'s
    /// <see cref="FieldRef"/>s): the preconditions (RFC 9110 §13.1), Range (§14.2), Prefer (RFC 7240) and Authorization (§11.6.2).
    /// Every field line of every request passes through <see cref="Note"/>, so it looks at the name's
    /// length before any bytes. If-Match and If-None-Match are checked here, on every line: their lists
    /// decide whether a write happens, so a value we cannot read is refused rather than guessed at.
    /// The others are read by the handler, which ignores what it cannot read, as their RFCs ask.
    /// </summary>
    internal static class RequestFields
    {
        public static ReadOnlySpan<byte> IfMatch => "If-Match"u8;

        public static ReadOnlySpan<byte> IfNoneMatch => "If-None-Match"u8;

        public static ReadOnlySpan<byte> IfRange => "If-Range"u8;

        public static ReadOnlySpan<byte> Range => "Range"u8;

        public static ReadOnlySpan<byte> Prefer => "Prefer"u8;

        public static ReadOnlySpan<byte> IfModifiedSince => "If-Modified-Since"u8;

        public static ReadOnlySpan<byte> IfUnmodifiedSince => "If-Unmodified-Since"u8;

        public static ReadOnlySpan<byte> Authorization => "Authorization"u8;

        /// <summary>
        /// Records the field line <paramref name="name"/>: <paramref name="value"/> (OWS trimmed, at
        /// <paramref name="valueOffset"/> in the parsed buffer) if it is one the handler reads.
        /// </summary>
        public static void Note(ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, int valueOffset, ref RequestHead head, ref Checks checks)
        {
            switch (name.Length)
            {
                case 5:
                    Record(name, Range, value, valueOffset, ref head.Range);
                    break;
                case 6:
                    Record(name, Prefer, value, valueOffset, ref head.Prefer);
                    break;
                case 8:
                    if (Record(name, IfMatch, value, valueOffset, ref head.IfMatch))
                    {
                        CheckList(value, head.IfMatch.Count, ref checks.IfMatchAny, ref checks);
                    }
                    else
                    {
                        Record(name, IfRange, value, valueOffset, ref head.IfRange);
                    }

                    break;
                case 13:
                    if (Record(name, IfNoneMatch, value, valueOffset, ref head.IfNoneMatch))
                    {
                        CheckList(value, head.IfNoneMatch.Count, ref checks.IfNoneMatchAny, ref checks);
                    }
                    else
                    {
                        Record(name, Authorization, value, valueOffset, ref head.Authorization);
                    }

                    break;
                case 17:
                    Record(name, IfModifiedSince, value, valueOffset, ref head.IfModifiedSince);
                    break;
                case 19:
                    Record(name, IfUnmodifiedSince, value, valueOffset, ref head.IfUnmodifiedSince);
                    break;
            }
        }

        private static bool Record(ReadOnlySpan<byte> name, ReadOnlySpan<byte> known, ReadOnlySpan<byte> value, int valueOffset, ref FieldRef field)
        {
            if (!Ascii.EqualsIgnoreCase(name, known))
            {
                return false;
            }

            if (field.Count++ == 0)
            {
                field.Offset = valueOffset;
                field.Length = value.Length;
            }

            return true;
        }

        /// <summary>
        /// "*" / #entity-tag, over all the field's lines: the lines join into one list (RFC 9110 §5.3), so
        /// "*" is valid only as the one line, and a list on a line after "*" is as malformed as "*, tag".
        /// </summary>
        private static void CheckList(ReadOnlySpan<byte> value, int count, ref bool any, ref Checks checks)
        {
            EntityTagListKind kind = EntityTagList.Check(value);
            if (kind == EntityTagListKind.Malformed || (count > 1 && (any || kind == EntityTagListKind.Any)))
            {
                checks.MalformedPrecondition = true;
            }

            any |= kind == EntityTagListKind.Any;
        }

        /// <summary>What the lines read so far said of the checked fields; the refusal waits for the whole head.</summary>
        public struct Checks
        {
            public bool IfMatchAny;
            public bool IfNoneMatchAny;
            public bool MalformedPrecondition;
        }
    }
}
