using System;
using System.IO;
using EmbedKv.Runtime.Memory;
using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Kv.Access;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Writes;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// The key-value application behind each connection's exchange, and the only place that knows keys
    /// and values: the path is the key (percent-decoded, at most MaxKeyLength bytes), GET and HEAD read it,
    /// PUT and POST store the body (at most MaxValueLength bytes, expiring with <c>?ttl=</c>), DELETE
    /// removes it. Every answer about a value carries its version as a strong ETag; preconditions
    /// (<see cref="RequestConditions"/>) are judged against the value read, or, for writes, by the store in
    /// one atomic step with the write. Writes are handed to the store and answered when it reports them
    /// done, so a request never waits for the disk in the middle of the loop's turn (the loop may sync its
    /// queued writes itself once it has nothing else to do: docs/storage.md). The rules are in docs/api.md.
    /// </summary>
    internal sealed unsafe class KvHandler : IKvHandler
    {
        // Values up to this size are kept in the handler's area and stored in one write; larger ones stream
        // into an upload as they arrive.
        private const int BodySize = 16 * 1024;

        /// <summary>The longest a GET waits for its key to change (RFC 7240 wait; docs/api.md "Long-poll").</summary>
        public const int MaxWaitSeconds = 300;

        // Values up to this size are copied behind their head and sent with it in one send; larger ones
        // go by sendfile. For small values the splice machinery of sendfile and a second syscall cost
        // more than copying a few KiB from the page cache (bench/results/http.md, profile).
        internal const int InlineValueLimit = 4096;

        private readonly KvStore _store;
        private readonly int _maxKeyLength;
        private readonly long _maxValueLength;
        private readonly int _keySize;
        private readonly IWriteCompletion _completions;
        private readonly ConnectionBuffers _buffers;
        private readonly ResponseComposer _responses;
        // Keys one listing batch copies out of the store before they are written into the page.
        private const int ListingBatch = 256;

        // Swapped with a waiting read's spare while that read waits (ReadWait.Hold).
        private RequestConditions _conditions = new RequestConditions();
        private IReadWaits _waits;
        private readonly ListingPages _pages;
        private ListingQuery? _listingQuery;
        private ListedKey[]? _listed;
        private byte[]? _listedKeys;
        private byte[]? _cursor;
        private readonly byte[] _fields = new byte[ValueFields.MaxLength];
        private IValueSink _sink;
        private IClientPeer _peer;
        private readonly AccessGuard _guard;
        private readonly AdminRequest _admin;
        private ReadOnlyMemory<byte> _tokenPrefix;
        private Route _route;
        private HttpMethod _method;
        private int _keyLength;
        private int _bodyLength;
        private uint _expires;
        private ValueUpload? _upload;

        public KvHandler(KvStore store, KvServerOptions options, IWriteCompletion completions, ConnectionBuffers buffers, ResponseComposer responses, IValueSink sink, IReadWaits waits, IClientPeer peer, ListingPages pages, AccessGuard guard)
        {
            _peer = peer;
            _guard = guard;
            _admin = new AdminRequest(store, responses);
            _waits = waits;
            _pages = pages;
            _store = store;
            _maxKeyLength = options.MaxKeyLength;
            _maxValueLength = options.MaxValueLength;
            _keySize = options.Limits.MaxRequestLineBytes;
            _completions = completions;
            _buffers = buffers;
            _responses = responses;
            _sink = sink;
        }

        /// <summary>Names this connection's writes to the store; a new connection (or a closed one) changes it, so a late report is ignored.</summary>
        public ulong Token { get; set; }

        public long MaxBodyLength => _maxValueLength;

        /// <summary>Serves the connection behind <paramref name="sink"/> now (handlers are pooled with their exchange).</summary>
        public void Bind(IValueSink sink, IReadWaits waits, IClientPeer peer, ulong token)
        {
            _sink = sink;
            _peer = peer;
            _admin.Forget();
            _waits = waits;
            Token = token;
        }

        private Span<byte> Body => new Span<byte>(_buffers.HandlerArea, BodySize);

        // The key, decoded into its own area: the input moves on as the body arrives. A decoded key is never
        // longer than its encoding, and that fits in a request line.
        private Span<byte> KeyArea => new Span<byte>(_buffers.HandlerArea + BodySize, _keySize);

        private ReadOnlySpan<byte> Key => KeyArea.Slice(0, _keyLength);

        /// <summary>The handler's area in a connection's block: the small body, then the decoded key.</summary>
        public static int AreaSize(HttpLimits limits) => BodySize + limits.MaxRequestLineBytes;

        public RejectReason Accept(in RequestHead head, ReadOnlySpan<byte> input)
        {
            // The parser has checked the encoding; the key area holds any key a request line can carry, so
            // decoding first and judging the length after reads the target once.
            _keyLength = KeyDecoder.Decode(input.Slice(head.KeyOffset, head.KeyLength), KeyArea);
            _route = head.KeyLength == 0 ? Route.Listing : AdminRequest.IsAdmin(Key) ? Route.Admin : Route.Key;
            if (_route == Route.Admin && !AdminRequest.Exists(Key))
            {
                return RejectReason.UnknownAdminEndpoint; // a reserved key, whoever asks
            }

            // Before anything about the key or the store is told: a refused client learns nothing else.
            RejectReason access = _guard.Check(in head, input, _route, Key, out _tokenPrefix);
            if (access != RejectReason.None)
            {
                _guard.Refused(access, in head, input, _peer.PeerAddress());
                return access;
            }

            if (_keyLength > _maxKeyLength)
            {
                return RejectReason.KeyTooLong;
            }

            if (head.ContentLength > _maxValueLength)
            {
                return RejectReason.ValueTooLarge;
            }

            _method = head.Method;
            _bodyLength = 0;
            _expires = 0;
            if (_route == Route.Admin)
            {
                return _admin.Accept(in head, input);
            }

            if (_route == Route.Listing)
            {
                // "/" is the listing (docs/api.md): the empty key is not reachable over HTTP.
                if (head.Method is not (HttpMethod.Get or HttpMethod.Head))
                {
                    return RejectReason.ListingMethodNotAllowed;
                }

                _listingQuery ??= new ListingQuery(_maxKeyLength);
                return _listingQuery.Read(input.Slice(head.QueryOffset, head.QueryLength)) ? RejectReason.None : RejectReason.BadListingQuery;
            }

            RejectReason query = KeyQuery.Read(input.Slice(head.QueryOffset, head.QueryLength), head.Method, out long timeToLive);
            if (query != RejectReason.None)
            {
                return query;
            }

            if (timeToLive > 0)
            {
                _expires = _store.ExpiryOf(TimeSpan.FromSeconds(timeToLive));
            }

            if (!_conditions.Read(in head, input))
            {
                return RejectReason.TooManyEntityTags;
            }

            // A client waiting for 100-continue hears 412 instead, before it sends a body the write would
            // refuse (RFC 9110 §10.1.1); the store checks again, atomically, when the body is in.
            if (head.ExpectContinue && _conditions.Any && TakesBody(head.Method)
                && _conditions.Evaluate(head.Method, _store.CurrentVersion(Key, out ulong version), version) != ConditionVerdict.Proceed)
            {
                return RejectReason.PreconditionFailed;
            }

            return RejectReason.None;
        }

        public bool TakesBody(HttpMethod method) => method is HttpMethod.Put or HttpMethod.Post;

        /// <summary>Keeps the body in the handler's area while it fits, then streams it into an upload.</summary>
        public bool Append(ReadOnlySpan<byte> data)
        {
            if (_route == Route.Admin)
            {
                return true; // an admin request's body means nothing: read and dropped
            }

            if (_upload is null && _bodyLength + data.Length <= BodySize)
            {
                data.CopyTo(Body.Slice(_bodyLength));
                _bodyLength += data.Length;
                return true;
            }

            try
            {
                if (_upload is null)
                {
                    _upload = _store.BeginUpload(Key, _expires);
                    _upload.Append(Body.Slice(0, _bodyLength));
                }

                if (_upload.Append(data))
                {
                    return true;
                }

                Abort();
                _responses.Refusal(RejectReason.ValueTooLarge, close: true);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // The rest of the body will not be read: answer, and the exchange closes and lingers. Going
                // on reading, as this once did, fed the same body to a new upload again and again, each
                // failure queueing one more answer, until the output area overflowed (a crash on a full disk).
                Abort();
                bool full = e is StorageFullException;
                _responses.Text(full ? 507 : 500, full ? ValueAnswers.DiskFullText : "the value could not be stored\n"u8, close: true);
            }

            return false;
        }

        public HandlerReply Respond()
        {
            if (_route == Route.Admin)
            {
                _admin.Start(_completions, Token);
                return HandlerReply.Pending;
            }

            switch (_method)
            {
                case HttpMethod.Put:
                case HttpMethod.Post:
                    Store();
                    return HandlerReply.Pending;
                case HttpMethod.Delete:
                    _store.BeginDelete(Key, _conditions.ForWrite, _completions, Token);
                    return HandlerReply.Pending;
                default:
                    if (_route == Route.Listing)
                    {
                        List();
                        return HandlerReply.Answered;
                    }

                    return Read(mayWait: true);
            }
        }

        /// <summary>The store finished this connection's write: its answer, with the new version as ETag (and its Expires, if it has a ttl).</summary>
        public bool OnStored(WriteOutcome outcome, ulong version)
        {
            if (_admin.Answer())
            {
                return true;
            }

            ValueAnswers.Written(_responses, _fields, outcome, version, _expires);
            return true;
        }

        public void Abort()
        {
            _admin.Forget();
            ValueUpload? upload = _upload;
            _upload = null;
            upload?.Abort();
        }

        private void Store()
        {
            if (_upload is not { } upload)
            {
                _store.BeginPut(Key, Body.Slice(0, _bodyLength), _expires, _conditions.ForWrite, _completions, Token);
                return;
            }

            _upload = null;
            try
            {
                upload.Complete(_conditions.ForWrite, _completions, Token);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _completions.OnWriteCompleted(Token, e is StorageFullException ? WriteOutcome.DiskFull : WriteOutcome.Failed, 0);
            }
        }

        /// <summary>
        /// A GET that waited (see <see cref="Read"/>) is answered now, as the key stands: it changed, its value
        /// expired, or the wait is up. The exchange resumed owing this answer.
        /// </summary>
        public void AnswerWait(ReadWait wait)
        {
            _keyLength = wait.Release(ref _conditions, KeyArea);
            _method = HttpMethod.Get;
            _route = Route.Key;
            Read(mayWait: false);
        }

        /// <summary>
        /// GET and HEAD (after any body they carried was read and dropped). A GET with Prefer: wait whose
        /// answer would be 304 or 404 waits instead, up to <see cref="MaxWaitSeconds"/>, for its key to be
        /// written, deleted or to expire (RFC 7240 §4.3; docs/api.md "Long-poll"): it is parked with its
        /// connection, and answered by <see cref="AnswerWait"/>.
        /// </summary>
        private HandlerReply Read(bool mayWait)
        {
            bool exists = _store.TryGet(Key, out StoredValue value);
            ConditionVerdict verdict = _conditions.Evaluate(_method, exists, value.Version);
            if (mayWait && Waits(verdict, exists))
            {
                ulong seen = exists ? value.Version : 0;
                uint expires = exists ? value.Expires : 0;
                long milliseconds = Math.Min(_conditions.WaitSeconds, MaxWaitSeconds) * 1000;
                if (exists)
                {
                    value.Release();
                }

                // Between the look and the registration (Park looks again): where a lost wake-up would fall.
                _store.Options.Schedule.Point("wait.watching");
                _waits.BeginWait().Hold(Key, ref _conditions, seen, expires, milliseconds);
                _waits.Park();
                return HandlerReply.Pending;
            }

            if (!ValueAnswers.ReadHead(_responses, _fields, _method, _conditions, verdict, exists, value.Length, value.Version, value.Expires, out long start, out long count))
            {
                value.Release();
                return HandlerReply.Answered;
            }

            if (count != value.Length)
            {
                value = value.Slice(start, count);
            }

            bool sendsBody = _method == HttpMethod.Get && value.Length > 0;
            if (sendsBody && value.Length <= InlineValueLimit && value.Length <= _responses.Room.Length)
            {
                CopyBehindHead(value);
            }
            else if (sendsBody)
            {
                _sink.Send(value);
            }
            else
            {
                value.Release();
            }

            return HandlerReply.Answered;
        }

        /// <summary>
        /// Whether a GET waits rather than answer (RFC 7240 wait, only where the answer would be 304 or 404).
        /// Not with requests already read behind it: they would hold the connection's block for the whole
        /// wait, so the preference is ignored then (§2 allows it) and they are served.
        /// </summary>
        private bool Waits(ConditionVerdict verdict, bool exists)
            => _method == HttpMethod.Get && _conditions.WaitSeconds > 0 && !_responses.Stopping && !_buffers.HasInput
                && (verdict == ConditionVerdict.NotModified || (verdict == ConditionVerdict.Proceed && !exists));

        /// <summary>
        /// GET and HEAD of "/": a page of keys in order (docs/api.md, "Listing"), written whole into a native
        /// page, then sent after its head. The store is asked in batches, each from just after the last key
        /// written, so the catalog's lock is never held while JSON is written. A page ends at the limit, or
        /// early when another key would not fit; next then names the last key listed.
        /// </summary>
        private void List()
        {
            ListingQuery query = _listingQuery!;
            ReadOnlySpan<byte> prefix = ListingQuery.NarrowedPrefix(query.Prefix, _tokenPrefix.Span, out bool disjoint);
            _listed ??= new ListedKey[ListingBatch];
            _listedKeys ??= new byte[ListingBatch * 64];
            _cursor ??= new byte[_maxKeyLength];
            Span<byte> cursor = _cursor;
            query.After.CopyTo(cursor);
            int cursorLength = query.After.Length;

            NativeRegion page = _pages.Rent();
            var writer = new ListingWriter(page.AsSpan(0, ListingPages.PageSize));
            int written = 0;
            bool more = !disjoint;
            while (more && written < query.Limit)
            {
                int wanted = Math.Min(_listed.Length, query.Limit - written);
                int count = _store.ListKeys(prefix, cursor.Slice(0, cursorLength), _listedKeys, _listed.AsSpan(0, wanted), out more);
                if (count == 0 && more)
                {
                    // The next key alone is longer than the batch's key buffer: make room for one.
                    _listedKeys = new byte[Math.Max(_listedKeys.Length * 2, _maxKeyLength)];
                    continue;
                }

                int i = 0;
                for (; i < count; i++)
                {
                    ListedKey listed = _listed[i];
                    ReadOnlySpan<byte> key = listed.KeyIn(_listedKeys);
                    if (!writer.HasRoomFor(key.Length))
                    {
                        break;
                    }

                    writer.Entry(key, listed.Info.Length, listed.Info.Version);
                    key.CopyTo(cursor);
                    cursorLength = key.Length;
                    written++;
                }

                if (i < count)
                {
                    more = true; // the page is full
                    break;
                }
            }

            writer.End(cursor.Slice(0, cursorLength), hasNext: more && written > 0);
            ListingAnswer.Send(page, writer.Length, _method, _responses, _sink, _pages);
        }

        /// <summary>Copies a small value behind its head in the output, so both leave in one send.</summary>
        private void CopyBehindHead(StoredValue value)
        {
            try
            {
                int read = _store.ReadValue(value, 0, _responses.Room.Slice(0, (int)value.Length));
                if (read != value.Length)
                {
                    _sink.Break(); // the file is shorter than the index said
                    return;
                }

                _responses.Body(read);
            }
            catch (IOException)
            {
                _sink.Break();
            }
            finally
            {
                value.Release();
            }
        }
    }
}
