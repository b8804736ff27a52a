// The HTTP/1.1 request parser is ours by the project's charter (the HTTP engine is what we build), in
// Kestrel's manner: spans over the connection's buffer, explicit limits, and a RejectReason instead of
// an exception, so that parsing allocates nothing, not even for a malformed request.
using System;
using System.Text;

namespace EmbedKv.Server.Http
{
    /// <summary>Outcome of <see cref="RequestParser.TryParse"/>.</summary>
    internal enum ParseStatus
    {
        /// <summary>The head is not complete yet: read more and parse again from the start.</summary>
        Incomplete,

        /// <summary>The head parsed; the body (if any) starts at the consumed offset.</summary>
        Complete,

        /// <summary>The request is refused for the given reason.</summary>
        Rejected,
    }

    /// <summary>
    /// Parses a request head (RFC 9112 §2–§6) strictly: exactly the grammar, CRLF line ends, no obs-fold,
    /// one well-formed Host (<see cref="HostSyntax"/>), unambiguous body framing. Each rejection names
    /// the rule it enforces (<see cref="RejectReason"/>).
    /// </summary>
    internal static class RequestParser
    {
        private const byte CR = (byte)'\r';
        private const byte LF = (byte)'\n';
        private const byte SP = (byte)' ';
        private const byte HTAB = (byte)'\t';

        // A TLS record starts with content type 22 (handshake); no HTTP method starts with a control byte.
        private const byte TlsHandshake = 0x16;

        // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request line.
        private const int MaxLeadingEmptyLines = 4;

        /// <summary>
        /// Parses the head at the start of <paramref name="buffer"/>. On <see cref="ParseStatus.Complete"/>,
        /// and on a rejection found once the whole head was read, <paramref name="consumed"/> is the head's length.
        /// </summary>
        public static ParseStatus TryParse(
            ReadOnlySpan<byte> buffer,
            HttpLimits limits,
            out RequestHead head,
            out int consumed,
            out RejectReason reason)
        {
            head = default;
            head.ContentLength = -1;
            consumed = 0;
            reason = RejectReason.None;
            if (buffer.Length > 0 && buffer[0] == TlsHandshake)
            {
                return Reject(RejectReason.TlsOnPlainPort, out reason);
            }

            int start = 0;
            for (int i = 0; i < MaxLeadingEmptyLines && buffer.Length - start >= 2 && buffer[start] == CR && buffer[start + 1] == LF; i++)
            {
                start += 2;
            }

            // The request line (RFC 9112 §3). Its limit counts the line, not its CRLF (the limit used to
            // include the CR, so a request line of exactly 8 KiB was refused as longer than 8 KiB): the line
            // and its CR may be here before the LF arrives.
            int lineEnd = buffer.Slice(start).IndexOf(LF);
            if (lineEnd < 0)
            {
                return buffer.Length - start > limits.MaxRequestLineBytes + 1
                    ? Reject(RejectReason.RequestLineTooLong, out reason)
                    : ParseStatus.Incomplete;
            }

            if (lineEnd - 1 > limits.MaxRequestLineBytes)
            {
                return Reject(RejectReason.RequestLineTooLong, out reason);
            }

            if (lineEnd == 0 || buffer[start + lineEnd - 1] != CR)
            {
                return Reject(RejectReason.BareLineEnding, out reason);
            }

            reason = ParseRequestLine(buffer.Slice(start, lineEnd - 1), start, ref head);
            if (reason != RejectReason.None)
            {
                return ParseStatus.Rejected;
            }

            // The header section (RFC 9112 §5), up to the empty line.
            var fields = new FieldState();
            int position = start + lineEnd + 1;
            while (true)
            {
                int end = buffer.Slice(position).IndexOf(LF);
                if (end < 0)
                {
                    return buffer.Length - start > limits.MaxHeaderBytes
                        ? Reject(RejectReason.HeadersTooLarge, out reason)
                        : ParseStatus.Incomplete;
                }

                if (position + end + 1 - start > limits.MaxHeaderBytes)
                {
                    return Reject(RejectReason.HeadersTooLarge, out reason);
                }

                if (end == 0 || buffer[position + end - 1] != CR)
                {
                    return Reject(RejectReason.BareLineEnding, out reason);
                }

                ReadOnlySpan<byte> line = buffer.Slice(position, end - 1);
                int lineOffset = position;
                position += end + 1;
                if (line.IsEmpty)
                {
                    break;
                }

                if (++fields.Count > limits.MaxHeaderCount)
                {
                    return Reject(RejectReason.TooManyHeaders, out reason);
                }

                reason = ParseField(line, lineOffset, ref head, ref fields);
                if (reason != RejectReason.None)
                {
                    return ParseStatus.Rejected;
                }
            }

            // From here on the head is whole: a refusal still says where the request ends, so a
            // connection without a body to skip can go on to the next request.
            consumed = position;
            head.HeadLength = position;
            reason = Conclude(buffer, ref head, ref fields);
            return reason == RejectReason.None ? ParseStatus.Complete : ParseStatus.Rejected;
        }

        private static RejectReason ParseRequestLine(ReadOnlySpan<byte> line, int lineOffset, ref RequestHead head)
        {
            // method SP request-target SP HTTP-version, single spaces (RFC 9112 §3).
            int firstSpace = line.IndexOf(SP);
            if (firstSpace <= 0)
            {
                return firstSpace == 0 ? RejectReason.BadRequestLine : ContainsBareCr(line) ? RejectReason.BareLineEnding : RejectReason.BadRequestLine;
            }

            ReadOnlySpan<byte> method = line.Slice(0, firstSpace);
            if (!FieldSyntax.IsToken(method))
            {
                return ContainsBareCr(method) ? RejectReason.BareLineEnding : RejectReason.BadMethod;
            }

            ReadOnlySpan<byte> rest = line.Slice(firstSpace + 1);
            int secondSpace = rest.IndexOf(SP);
            if (secondSpace <= 0)
            {
                return RejectReason.BadRequestLine;
            }

            ReadOnlySpan<byte> target = rest.Slice(0, secondSpace);
            ReadOnlySpan<byte> version = rest.Slice(secondSpace + 1);
            RejectReason versionReason = ParseVersion(version, ref head);
            if (versionReason != RejectReason.None)
            {
                return versionReason;
            }

            head.Method = MethodOf(method);
            return ParseTarget(target, lineOffset + firstSpace + 1, ref head);
        }

        private static RejectReason ParseVersion(ReadOnlySpan<byte> version, ref RequestHead head)
        {
            if (version.SequenceEqual("HTTP/1.1"u8))
            {
                head.Http11 = true;
                head.KeepAlive = true; // persistent by default (RFC 9112 §9.3)
                return RejectReason.None;
            }

            if (version.SequenceEqual("HTTP/1.0"u8))
            {
                return RejectReason.None;
            }

            // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3): well formed but not ours is 505.
            bool wellFormed = version.Length == 8 && version.StartsWith("HTTP/"u8)
                && FieldSyntax.IsDigit(version[5]) && version[6] == (byte)'.' && FieldSyntax.IsDigit(version[7]);
            return wellFormed ? RejectReason.VersionNotSupported
                : ContainsBareCr(version) ? RejectReason.BareLineEnding : RejectReason.BadRequestLine;
        }

        private static RejectReason ParseTarget(ReadOnlySpan<byte> target, int targetOffset, ref RequestHead head)
        {
            // No byte-by-byte pass first: the allowed set has no CTL, SP or DEL, so one vectorized check of
            // the path and query (and the authority's grammar) finds them too; TargetRefusal then names them.
            int pathStart;
            if (target[0] == (byte)'/')
            {
                pathStart = 0; // origin-form (RFC 9112 §3.2.1)
            }
            else if (TrySkipScheme(target, out int authorityStart))
            {
                // absolute-form (RFC 9112 §3.2.2): the path follows the authority; none means "/".
                // The authority is held to the Host grammar: no userinfo (RFC 9110 §4.2.4 calls it an
                // error in an http URI), and no empty host (RFC 9110 §4.2.1: MUST reject).
                int end = target.Slice(authorityStart).IndexOfAny((byte)'/', (byte)'?');
                ReadOnlySpan<byte> authority = end < 0 ? target.Slice(authorityStart) : target.Slice(authorityStart, end);
                if (!HostSyntax.IsValid(authority, allowEmptyHost: false))
                {
                    return TargetRefusal(target);
                }

                pathStart = end < 0 ? target.Length : authorityStart + end;
            }
            else
            {
                return TargetRefusal(target);
            }

            // path-abempty [ "?" query ] in either form, each byte one RFC 3986 allows there.
            ReadOnlySpan<byte> rest = target.Slice(pathStart);
            if (!TargetSyntax.IsPathAndQuery(rest))
            {
                return TargetRefusal(target);
            }

            int query = rest.IndexOf((byte)'?');
            int pathLength = query < 0 ? rest.Length : query;
            if (query >= 0)
            {
                head.HasQuery = true;
                head.QueryOffset = targetOffset + pathStart + query + 1;
                head.QueryLength = rest.Length - query - 1;
            }

            // The key is the path after its first '/'; an absolute-form target without a path names the empty key.
            head.KeyOffset = targetOffset + pathStart + (pathLength > 0 ? 1 : 0);
            head.KeyLength = pathLength > 0 ? pathLength - 1 : 0;
            return RejectReason.None;
        }

        /// <summary>Why a target was refused: a control byte anywhere in it (RFC 9110 §5.5, a CR RFC 9112 §2.2) before any other fault.</summary>
        private static RejectReason TargetRefusal(ReadOnlySpan<byte> target)
        {
            foreach (byte b in target)
            {
                if (b <= 0x20 || b == 0x7F)
                {
                    return b == CR ? RejectReason.BareLineEnding : RejectReason.ControlCharacter;
                }
            }

            return RejectReason.BadTarget;
        }

        private static bool TrySkipScheme(ReadOnlySpan<byte> target, out int authorityStart)
        {
            if (target.Length > 7 && Ascii.EqualsIgnoreCase(target.Slice(0, 7), "http://"u8))
            {
                authorityStart = 7;
                return true;
            }

            if (target.Length > 8 && Ascii.EqualsIgnoreCase(target.Slice(0, 8), "https://"u8))
            {
                authorityStart = 8;
                return true;
            }

            authorityStart = 0;
            return false;
        }

        private static RejectReason ParseField(ReadOnlySpan<byte> line, int lineOffset, ref RequestHead head, ref FieldState fields)
        {
            if (line[0] == SP || line[0] == HTAB)
            {
                return RejectReason.ObsoleteLineFolding; // RFC 9112 §5.2
            }

            int colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                return ContainsBareCr(line) ? RejectReason.BareLineEnding : RejectReason.BadHeaderName;
            }

            ReadOnlySpan<byte> name = line.Slice(0, colon);
            if (name[^1] == SP || name[^1] == HTAB)
            {
                return RejectReason.WhitespaceBeforeColon; // RFC 9112 §5.1: MUST reject
            }

            if (!FieldSyntax.IsToken(name))
            {
                return ContainsBareCr(name) ? RejectReason.BareLineEnding : RejectReason.BadHeaderName;
            }

            ReadOnlySpan<byte> raw = line.Slice(colon + 1);
            ReadOnlySpan<byte> value = FieldSyntax.TrimOws(raw);
            int valueOffset = lineOffset + colon + 1 + Math.Max(raw.IndexOfAnyExcept(SP, HTAB), 0);
            foreach (byte b in value)
            {
                // field-value: VCHAR, obs-text, SP, HTAB (RFC 9110 §5.5); CR, LF and NUL are never allowed.
                if (!FieldSyntax.IsFieldValueByte(b))
                {
                    return b == CR ? RejectReason.BareLineEnding : RejectReason.ControlCharacter;
                }
            }

            if (Ascii.EqualsIgnoreCase(name, "Host"u8))
            {
                // RFC 9112 §3.2: 400 for more than one Host, or for one with an invalid value. An empty
                // value stays allowed (RFC 9110 §7.2: the target may have no authority).
                if (++fields.Hosts > 1)
                {
                    return RejectReason.DuplicateHost;
                }

                return HostSyntax.IsValid(value, allowEmptyHost: true) ? RejectReason.None : RejectReason.BadHost;
            }

            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                return ParseContentLength(value, ref head);
            }

            if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                // RFC 9112 §6.1: in HTTP/1.0 it MUST be taken as faulty framing, whatever it says: an
                // HTTP/1.0 hop in front of us would frame this body by Content-Length or by the close,
                // not by chunks, and what it takes for the next request is not what we would.
                if (!head.Http11)
                {
                    return RejectReason.TransferEncodingInHttp10;
                }

                fields.TransferEncodings++;
                return ParseTransferEncoding(value, ref head);
            }

            if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                ParseConnection(value, ref fields);
                return RejectReason.None;
            }

            if (Ascii.EqualsIgnoreCase(name, "Expect"u8))
            {
                // Only 100-continue is defined (RFC 9110 §10.1.1); anything else is 417, once the head is read.
                if (Ascii.EqualsIgnoreCase(value, "100-continue"u8))
                {
                    fields.ExpectContinue = true;
                }
                else
                {
                    fields.UnknownExpectation = true;
                }

                return RejectReason.None;
            }

            RequestFields.Note(name, value, valueOffset, ref head, ref fields.Checks);
            return RejectReason.None;
        }

        private static RejectReason ParseContentLength(ReadOnlySpan<byte> value, ref RequestHead head)
        {
            if (head.ContentLength >= 0)
            {
                return RejectReason.DuplicateContentLength; // RFC 9112 §6.3
            }

            if (value.IsEmpty)
            {
                return RejectReason.BadContentLength;
            }

            long length = 0;
            foreach (byte b in value)
            {
                if (!FieldSyntax.IsDigit(b))
                {
                    return RejectReason.BadContentLength; // 1*DIGIT (RFC 9110 §8.6): no sign, no list
                }

                // Saturate instead of overflowing: any such length is far past the largest value (413).
                length = length > (long.MaxValue - 9) / 10 ? long.MaxValue : (length * 10) + (b - '0');
            }

            head.ContentLength = length;
            return RejectReason.None;
        }

        private static RejectReason ParseTransferEncoding(ReadOnlySpan<byte> value, ref RequestHead head)
        {
            // transfer-coding list (RFC 9112 §6.1); we implement chunked only, and it must come last, once.
            while (!value.IsEmpty)
            {
                int comma = value.IndexOf((byte)',');
                ReadOnlySpan<byte> coding = FieldSyntax.TrimOws(comma < 0 ? value : value.Slice(0, comma));
                value = comma < 0 ? default : value.Slice(comma + 1);
                if (coding.IsEmpty)
                {
                    continue;
                }

                if (!Ascii.EqualsIgnoreCase(coding, "chunked"u8))
                {
                    return FieldSyntax.IsToken(coding) ? RejectReason.UnknownTransferCoding : RejectReason.BadChunk;
                }

                if (head.Chunked)
                {
                    return RejectReason.BadChunk; // chunked applied twice
                }

                head.Chunked = true;
            }

            return head.Chunked ? RejectReason.None : RejectReason.BadChunk;
        }

        private static void ParseConnection(ReadOnlySpan<byte> value, ref FieldState fields)
        {
            while (!value.IsEmpty)
            {
                int comma = value.IndexOf((byte)',');
                ReadOnlySpan<byte> option = FieldSyntax.TrimOws(comma < 0 ? value : value.Slice(0, comma));
                value = comma < 0 ? default : value.Slice(comma + 1);
                if (Ascii.EqualsIgnoreCase(option, "close"u8))
                {
                    fields.Close = true;
                }
                else if (Ascii.EqualsIgnoreCase(option, "keep-alive"u8))
                {
                    fields.KeepAlive = true;
                }
            }
        }

        /// <summary>
        /// Checks that need the whole head: Host, framing, method, the target's encoding and the
        /// precondition lists, in that order.
        /// What the target and the body may be (key length, value size) is the handler's to judge, and an
        /// unknown expectation is refused after that (see Http1Exchange.ParseHead).
        /// </summary>
        private static RejectReason Conclude(ReadOnlySpan<byte> buffer, ref RequestHead head, ref FieldState fields)
        {
            // Persistence (RFC 9112 §9.3): "close" ends it; HTTP/1.0 keeps it only if asked. Decided first,
            // so that the refusals that keep the connection (405, 414 for a key, 400 for its encoding, 417)
            // still honour "Connection: close"; they used to see the version's default instead.
            head.KeepAlive = !fields.Close && (head.Http11 || fields.KeepAlive);
            if (head.Http11 && fields.Hosts == 0)
            {
                return RejectReason.MissingHost; // RFC 9112 §3.2: MUST respond 400
            }

            if (head.Chunked && head.ContentLength >= 0)
            {
                return RejectReason.LengthAndChunked; // RFC 9112 §6.1
            }

            if (fields.TransferEncodings > 0 && !head.Chunked)
            {
                return RejectReason.BadChunk;
            }

            if (head.Method == HttpMethod.Other)
            {
                return RejectReason.MethodNotAllowed;
            }

            if ((head.Method == HttpMethod.Post || head.Method == HttpMethod.Put) && !head.Chunked && head.ContentLength < 0)
            {
                return RejectReason.LengthRequired;
            }

            if (KeyDecoder.DecodedLength(buffer.Slice(head.KeyOffset, head.KeyLength)) < 0
                || KeyDecoder.DecodedLength(buffer.Slice(head.QueryOffset, head.QueryLength)) < 0)
            {
                return RejectReason.BadPercentEncoding;
            }

            if (fields.Checks.MalformedPrecondition)
            {
                return RejectReason.BadPrecondition;
            }

            head.UnknownExpectation = fields.UnknownExpectation;
            head.ExpectContinue = fields.ExpectContinue && head.Http11 && head.HasBody;
            return RejectReason.None;
        }

        private static HttpMethod MethodOf(ReadOnlySpan<byte> method)
        {
            // Methods are case-sensitive (RFC 9110 §9.1): "get" is not GET.
            if (method.SequenceEqual("GET"u8))
            {
                return HttpMethod.Get;
            }

            if (method.SequenceEqual("PUT"u8))
            {
                return HttpMethod.Put;
            }

            if (method.SequenceEqual("POST"u8))
            {
                return HttpMethod.Post;
            }

            if (method.SequenceEqual("HEAD"u8))
            {
                return HttpMethod.Head;
            }

            return method.SequenceEqual("DELETE"u8) ? HttpMethod.Delete : HttpMethod.Other;
        }

        private static bool ContainsBareCr(ReadOnlySpan<byte> text) => text.IndexOf(CR) >= 0;

        private static ParseStatus Reject(RejectReason why, out RejectReason reason)
        {
            reason = why;
            return ParseStatus.Rejected;
        }

        /// <summary>What the header fields said, gathered before the final checks.</summary>
        private struct FieldState
        {
            public int Count;
            public int Hosts;
            public int TransferEncodings;
            public bool Close;
            public bool KeepAlive;
            public bool ExpectContinue;
            public bool UnknownExpectation;
            public RequestFields.Checks Checks;
        }
    }
}
