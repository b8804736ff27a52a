using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace EmbedKv.Server.Tests.Robustness
{
    internal enum Verb
    {
        Get,
        Head,
        Put,
        Post,
        Delete,
    }

    /// <summary>One request as generated, before any mutation.</summary>
    internal sealed class FuzzRequest
    {
        public Verb Verb { get; init; }

        public string Key { get; init; } = string.Empty;

        public byte[]? Value { get; init; }

        public bool Chunked { get; init; }

        public bool Http10 { get; init; }

        /// <summary>The connection ends after this request's answer (Connection: close, or HTTP/1.0 without keep-alive).</summary>
        public bool Closes { get; init; }

        /// <summary>The refusal a limit makes (414, 431), or 0; with <see cref="RefusalCloses"/>, whether it ends the connection.</summary>
        public int Refusal { get; init; }

        public bool RefusalCloses { get; init; }

        public bool Writes => Verb is Verb.Put or Verb.Post;
    }

    /// <summary>
    /// Small limits for the fuzz servers, so mutations and padded requests cross them often: whether a
    /// limit is crossed must not depend on how the bytes arrive either.
    /// </summary>
    internal static class FuzzLimits
    {
        public const int RequestLine = 128;
        public const int HeaderBytes = 512;
        public const int HeaderCount = 12;
        public const int KeyLength = 40;

        public static void Apply(KvServerOptions options)
        {
            options.Limits.MaxRequestLineBytes = RequestLine;
            options.Limits.MaxHeaderBytes = HeaderBytes;
            options.Limits.MaxHeaderCount = HeaderCount;
            options.MaxKeyLength = KeyLength;
        }
    }

    /// <summary>
    /// One fuzz case, all from its seed: one to six valid requests in one stream (pipelined; now and then a
    /// burst of up to fifteen), then zero to three mutations of the bytes. Every key is new to the server
    /// (it carries the seed), so the store's state before the case is known: none of its keys exist.
    /// </summary>
    internal sealed class FuzzCase
    {
        private FuzzCase(int seed, byte[] bytes, List<FuzzRequest> requests, List<string> mutations)
        {
            Seed = seed;
            Bytes = bytes;
            Requests = requests;
            Mutations = mutations;
        }

        public int Seed { get; }

        public byte[] Bytes { get; }

        public List<FuzzRequest> Requests { get; }

        public List<string> Mutations { get; }

        public bool Mutated => Mutations.Count > 0;

        public IEnumerable<string> Keys => Requests.Select(r => r.Key).Distinct();

        /// <summary>Whether any answer may be a HEAD's (a bodiless response with a Content-Length).</summary>
        public bool HeadPossible => Bytes.AsSpan().IndexOf("HEAD"u8) >= 0;

        public static FuzzCase Generate(int seed)
        {
            var random = new Random(seed);

            // A burst writes a value of about 4 KiB and reads it back many times in one pipeline, so the
            // answers overflow the output area and the connection must drain it between requests.
            bool burst = random.Next(25) == 0;
            int count = burst ? random.Next(7, 16) : random.Next(20) switch { < 9 => 1, < 15 => 2, < 18 => 3, _ => random.Next(4, 7) };
            var requests = new List<FuzzRequest>();
            var stream = new List<byte>();
            for (int i = 0; i < count; i++)
            {
                // Later requests sometimes reuse an earlier key, so a pipeline reads or deletes what it wrote.
                // Some keys are padded to either side of the key limit, some end in bytes that must be encoded.
                string key = i > 0 && (burst || random.Next(3) == 0) ? requests[burst ? 0 : random.Next(i)].Key
                    : "fz" + seed.ToString(CultureInfo.InvariantCulture) + "-" + i + RandomLetters(random, random.Next(10) == 0 ? random.Next(28, 36) : 4)
                        + (random.Next(10) == 0 ? string.Concat(Enumerable.Range(0, random.Next(1, 4)).Select(_ => OddKeyChars[random.Next(OddKeyChars.Length)])) : string.Empty);
                bool last = i == count - 1;
                Verb? verb = !burst ? null : i == 0 ? Verb.Put : random.Next(4) == 0 ? Verb.Head : Verb.Get;
                (FuzzRequest request, byte[] bytes) = Request(random, key, mayClose: last || random.Next(20) == 0, verb, burst ? random.Next(3000, 4600) : null);
                requests.Add(request);
                stream.AddRange(bytes);
            }

            var mutations = new List<string>();
            int mutationCount = random.Next(20) switch { < 3 => 0, < 13 => 1, < 18 => 2, _ => 3 };
            for (int i = 0; i < mutationCount && stream.Count > 0; i++)
            {
                mutations.Add(Mutator.Apply(stream, random));
            }

            return new FuzzCase(seed, stream.ToArray(), requests, mutations);
        }

        /// <summary>
        /// For an unmutated case, the statuses the requests must get (100 Continue aside) and the state of
        /// each key afterwards. Nothing after a request that closes the connection is answered or applied.
        /// HTTP/1.0 with Transfer-Encoding is refused (RFC 9112 §6.1: the framing is in doubt).
        /// </summary>
        public (List<int> Statuses, Dictionary<string, byte[]?> Store) Expected()
        {
            var store = Keys.ToDictionary(k => k, _ => (byte[]?)null);
            var statuses = new List<int>();
            foreach (FuzzRequest request in Requests)
            {
                bool present = store[request.Key] is not null;
                int status;
                if (request.Refusal != 0)
                {
                    status = request.Refusal;
                }
                else if (request.Http10 && request.Chunked)
                {
                    status = 400;
                }
                else
                {
                    switch (request.Verb)
                    {
                        case Verb.Get:
                        case Verb.Head:
                            status = present ? 200 : 404;
                            break;
                        case Verb.Delete:
                            status = present ? 204 : 404;
                            store[request.Key] = null;
                            break;
                        default:
                            status = present ? 204 : 201;
                            store[request.Key] = request.Value;
                            break;
                    }
                }

                statuses.Add(status);
                if (request.Closes || status == 400 || (request.Refusal != 0 && request.RefusalCloses))
                {
                    break;
                }
            }

            return (statuses, store);
        }

        private static (FuzzRequest, byte[]) Request(Random random, string key, bool mayClose, Verb? forced, int? valueLength)
        {
            Verb verb = forced ?? random.Next(100) switch { < 20 => Verb.Get, < 30 => Verb.Head, < 65 => Verb.Put, < 80 => Verb.Post, _ => Verb.Delete };
            bool writes = verb is Verb.Put or Verb.Post;

            // GET, HEAD and DELETE may carry a body; the server reads it and drops it.
            int ignoredBody = !writes && random.Next(30) == 0 ? random.Next(1, 40) : 0;
            bool http10 = random.Next(100) < 8;
            bool keepAlive10 = http10 && (!mayClose || random.Next(2) == 0);
            bool close = http10 ? !keepAlive10 : mayClose && random.Next(8) == 0;
            // HTTP/1.0 with chunked and a key over the limit are refused for two reasons; which one wins is not a rule.
            bool chunked = writes && !(http10 && key.Length > FuzzLimits.KeyLength) && random.Next(100) < (http10 ? 15 : 40);
            byte[]? value = writes ? Value(random, valueLength) : null;

            var head = new StringBuilder();
            head.Append(verb.ToString().ToUpperInvariant()).Append(' ').Append(Target(random, key)).Append(http10 ? " HTTP/1.0\r\n" : " HTTP/1.1\r\n");
            var fields = new List<string>();
            if (!http10 || random.Next(2) == 0)
            {
                fields.Add("Host: " + (random.Next(4) == 0 ? "127.0.0.1:8080" : "t"));
            }

            if (random.Next(3) == 0)
            {
                fields.Add("User-Agent: fuzz/1.0");
            }

            if (random.Next(4) == 0)
            {
                fields.Add("X-Fuzz: " + RandomLetters(random, random.Next(1, 20)));
            }

            // Now and then a head on either side of the size or field-count limit.
            if (random.Next(12) == 0)
            {
                fields.Add("X-Long: " + RandomLetters(random, random.Next(250, 480)));
            }

            if (random.Next(12) == 0)
            {
                fields.AddRange(Enumerable.Range(0, random.Next(6, 12)).Select(j => "X-" + j + ": v"));
            }

            if (writes && !http10 && random.Next(5) == 0)
            {
                fields.Add("Expect: 100-continue");
            }

            if (close && !http10)
            {
                fields.Add("Connection: close");
            }
            else if (keepAlive10)
            {
                fields.Add("Connection: keep-alive");
            }

            if (writes)
            {
                fields.Add(chunked ? "Transfer-Encoding: chunked" : "Content-Length: " + value!.Length.ToString(CultureInfo.InvariantCulture));
            }
            else if (ignoredBody > 0)
            {
                fields.Add("Content-Length: " + ignoredBody.ToString(CultureInfo.InvariantCulture));
            }

            // Header order is free, and the mutations hit different fields depending on it.
            foreach (string field in fields.OrderBy(_ => random.Next()))
            {
                head.Append(field).Append("\r\n");
            }

            head.Append("\r\n");
            var bytes = new List<byte>(Encoding.Latin1.GetBytes(head.ToString()));
            if (writes)
            {
                bytes.AddRange(chunked ? Chunks(random, value!) : value!);
            }
            else
            {
                bytes.AddRange(Value(random, ignoredBody));
            }

            (int refusal, bool refusalCloses) = Refusal(head.ToString(), key.Length, hasBody: chunked || value?.Length > 0 || ignoredBody > 0, http10);
            var request = new FuzzRequest { Verb = verb, Key = key, Value = value, Chunked = chunked, Http10 = http10, Closes = close, Refusal = refusal, RefusalCloses = refusalCloses };
            return (request, bytes.ToArray());
        }

        /// <summary>
        /// The limits in the order the parser checks them: the request line, then line by line the head's
        /// size and its field count (both close: the rest of the head is in doubt) and, in HTTP/1.0, a
        /// Transfer-Encoding field (400 and close as soon as it is read, RFC 9112 §6.1), then the decoded
        /// key (a refusal about the request, which closes only if a body will not be read).
        /// </summary>
        private static (int Status, bool Closes) Refusal(string head, int keyLength, bool hasBody, bool http10)
        {
            string[] lines = head.Split("\r\n");
            if (lines[0].Length > FuzzLimits.RequestLine)
            {
                return (414, true);
            }

            int size = lines[0].Length + 2;
            for (int i = 1, fields = 0; i < lines.Length - 1; i++)
            {
                size += lines[i].Length + 2;
                if (size > FuzzLimits.HeaderBytes || (lines[i].Length > 0 && ++fields > FuzzLimits.HeaderCount))
                {
                    return (431, true);
                }

                if (http10 && lines[i].StartsWith("Transfer-Encoding:", StringComparison.OrdinalIgnoreCase))
                {
                    return (400, true);
                }
            }

            return keyLength > FuzzLimits.KeyLength ? (414, hasBody) : (0, false);
        }

        private static string Target(Random random, string key)
        {
            // Some letters percent-encoded, sometimes an empty query or the absolute form: all name the same key.
            var target = new StringBuilder("/");
            foreach (char c in key)
            {
                target.Append(random.Next(12) == 0 || !Plain(c) ? "%" + ((int)c).ToString("X2", CultureInfo.InvariantCulture) : c.ToString());
            }

            string path = target.ToString();
            return random.Next(12) switch
            {
                0 => "http://t" + path,
                // A query of empty parameters names nothing (docs/api.md); a named one would be refused.
                1 => path + "?" + new string('&', random.Next(4) == 0 ? random.Next(50, 110) : 3),
                _ => path,
            };
        }

        /// <summary>A key as a request target names it: every byte but letters, digits and "-._~" percent-encoded.</summary>
        public static string Encode(string key)
            => "/" + string.Concat(key.Select(c => Plain(c) ? c.ToString() : "%" + ((int)c).ToString("X2", CultureInfo.InvariantCulture)));

        private static bool Plain(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~';

        private static byte[] Value(Random random, int? length = null)
        {
            // Mostly small; some past 4 KiB (sent back by sendfile), some past 16 KiB (streamed to an upload file).
            length ??= random.Next(40) switch { 0 => random.Next(16 * 1024, 24 * 1024), 1 => random.Next(4 * 1024, 8 * 1024), _ => random.Next(0, 48) };
            byte[] value = new byte[length.Value];
            for (int i = 0; i < value.Length; i++)
            {
                value[i] = (byte)random.Next(0x20, 0x7F);
            }

            return value;
        }

        private static byte[] Chunks(Random random, byte[] value)
        {
            var bytes = new List<byte>();
            int at = 0;
            while (at < value.Length)
            {
                int size = Math.Min(value.Length - at, random.Next(1, value.Length > 1000 ? 9000 : 24));
                string sizeText = size.ToString(random.Next(2) == 0 ? "x" : "X", CultureInfo.InvariantCulture);
                string extension = random.Next(6) == 0 ? ";ext=" + RandomLetters(random, 2) : string.Empty;
                bytes.AddRange(Encoding.Latin1.GetBytes(sizeText + extension + "\r\n"));
                bytes.AddRange(value.AsSpan(at, size).ToArray());
                bytes.AddRange("\r\n"u8.ToArray());
                at += size;
            }

            string trailer = random.Next(6) == 0 ? "X-Trailer: " + RandomLetters(random, 3) + "\r\n" : string.Empty;
            bytes.AddRange(Encoding.Latin1.GetBytes("0\r\n" + trailer + "\r\n"));
            return bytes.ToArray();
        }

        // Keys are bytes (one char per byte here): a slash, a space, a NUL, bytes that are not UTF-8.
        private static readonly char[] OddKeyChars = { '/', ' ', '%', '?', '#', '\0', '\u00ff', '\u00e9', '+', ':' };

        private static string RandomLetters(Random random, int count)
            => string.Concat(Enumerable.Range(0, count).Select(_ => (char)('a' + random.Next(26))));
    }
}
