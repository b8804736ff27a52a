using System;
using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Conditions;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// The answers about one value that both handlers give alike, the local store's (<see cref="KvHandler"/>)
    /// and a remote backend's (<see cref="Remote.RemoteKvHandler"/>): what a write's outcome becomes, and the
    /// head of a GET or HEAD (docs/api.md). Each handler then sends the value's bytes its own way.
    /// </summary>
    internal static class ValueAnswers
    {
        /// <summary>RFC 9110 §15.5.13: If-Match or If-None-Match did not hold; nothing was changed.</summary>
        public static ReadOnlySpan<byte> PreconditionFailedText => "precondition failed: the key's current version does not match If-Match or If-None-Match\n"u8;

        /// <summary>
        /// RFC 4918 §11.5 (507 Insufficient Storage): the server cannot store the representation. The store
        /// takes writes again once space is freed, without a restart, so the client may retry; reads go on.
        /// </summary>
        public static ReadOnlySpan<byte> DiskFullText => "the disk is full: nothing was stored; retry once space is freed\n"u8;

        /// <summary>A write's answer: its new version as ETag (and its Expires, when it has a ttl) on 201 and 204; <paramref name="expires"/> is in Unix seconds, 0 for none.</summary>
        public static void Written(ResponseComposer responses, Span<byte> fieldsArea, WriteOutcome outcome, ulong version, long expires)
        {
            var fields = new ValueFields(fieldsArea);
            switch (outcome)
            {
                case WriteOutcome.Created:
                    fields.ETag(version);
                    fields.Expires(expires); // as stored, so a writer need not read it back
                    responses.Head(201, 0, octetStream: false, fields.Written);
                    break;
                case WriteOutcome.Replaced:
                    fields.ETag(version);
                    fields.Expires(expires);
                    responses.Head(204, -1, octetStream: false, fields.Written);
                    break;
                case WriteOutcome.Deleted:
                    responses.Head(204, -1, octetStream: false);
                    break;
                case WriteOutcome.NotFound:
                    responses.Text(404, "not found\n"u8);
                    break;
                case WriteOutcome.PreconditionFailed:
                    responses.Text(412, PreconditionFailedText);
                    break;
                case WriteOutcome.DiskFull:
                    responses.Text(507, DiskFullText);
                    break;
                default:
                    // The store refuses writes until it is reopened (a failed sync): nothing was stored.
                    responses.Text(500, "the write could not be stored\n"u8);
                    break;
            }
        }

        /// <summary>
        /// A GET's or HEAD's head for a key in that state. False when that is the whole answer (412, 304, 404,
        /// 416); true when a 200 or 206 head is queued and the value's bytes from <paramref name="start"/>,
        /// <paramref name="count"/> of them, are to follow (a HEAD's count is the whole value, and sends none).
        /// </summary>
        public static bool ReadHead(ResponseComposer responses, Span<byte> fieldsArea, HttpMethod method, RequestConditions conditions, ConditionVerdict verdict, bool exists, long length, ulong version, long expires, out long start, out long count)
        {
            var fields = new ValueFields(fieldsArea);
            start = 0;
            count = length;
            switch (verdict)
            {
                case ConditionVerdict.PreconditionFailed:
                    responses.Text(412, PreconditionFailedText);
                    return false;
                case ConditionVerdict.NotModified:
                    // RFC 9110 §15.4.5: the fields a 200 would have carried that describe the value, no body.
                    fields.ETag(version);
                    fields.Expires(expires);
                    responses.Head(304, -1, octetStream: false, fields.Written);
                    return false;
            }

            if (!exists)
            {
                responses.Text(404, "not found\n"u8);
                return false;
            }

            // Range is defined for GET only (RFC 9110 §14.2): a HEAD describes the whole value.
            ByteRange range = method == HttpMethod.Get ? conditions.RangeFor(version, length) : default;
            if (range.Kind == RangeKind.Unsatisfiable)
            {
                fields.UnsatisfiedRange(length);
                responses.Text(416, "range not satisfiable\n"u8, responses.ConnectionEnds, fields.Written);
                return false;
            }

            fields.ETag(version);
            fields.AcceptRanges();
            fields.Expires(expires);
            if (range.Kind == RangeKind.Partial)
            {
                fields.ContentRange(range.Start, range.Count, length);
                (start, count) = (range.Start, range.Count);
                responses.Head(206, count, octetStream: true, fields.Written);
            }
            else
            {
                responses.Head(200, length, octetStream: true, fields.Written);
            }

            return true;
        }
    }
}
