using System;
using System.Collections.Generic;
using EmbedKv.Runtime.Memory;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Kv.Access;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Kv.Remote
{
    /// <summary>
    /// The key-value API on a remote backend (<see cref="KvServerOptions.Backend"/>, docs/etcd.md): the same
    /// routes, rules, fields and answers as <see cref="KvHandler"/> on the local store, but every operation is a
    /// call the backend completes later, on its own thread, so every request is answered from
    /// <see cref="OnStored"/> once the loop has its report. The loop never waits on the network.
    /// </summary>
    /// <remarks>
    /// What differs from the local store: a value is collected in memory whole (it is at most the backend's
    /// request limit) and sent from memory; a long-poll keeps its connection's exchange while the backend
    /// watches; and a condition that is not a single compare (a list of tags, or both fields) is checked by
    /// reading the key first and then writing only if the key is still exactly as read.
    /// </remarks>
    internal sealed class RemoteKvHandler : IKvHandler
    {
        // A pinned write whose key keeps changing under it gives up after this many reads: the client retries.
        private const int PinAttempts = 8;

        // The body grows from this size; a handler that held a large body gives the memory back after it.
        private const int BodyStart = 16 * 1024;

        private readonly IKvBackend _backend;
        private readonly KvServerOptions _options;
        private readonly IWriteCompletion _completions;
        private readonly ConnectionBuffers _buffers;
        private readonly ResponseComposer _responses;
        private readonly ListingPages _pages;
        private readonly AccessGuard _guard;
        private readonly RemoteWaits _waits;
        private readonly BackendHealth _health;
        private readonly byte[] _key;
        private readonly byte[] _fields = new byte[ValueFields.MaxLength];
        private readonly RequestConditions _conditions = new RequestConditions();
        private ListingQuery? _listingQuery;
        private byte[] _body = new byte[BodyStart];
        private IValueSink _sink;
        private IClientPeer _peer;
        private ReadOnlyMemory<byte> _tokenPrefix;
        private Route _route;
        private HttpMethod _method;
        private int _keyLength;
        private int _bodyLength;
        private long _expires;
        private long _maxBody;
        private RemoteReply? _pending;
        private Step _step;
        private int _pinReads;

        public RemoteKvHandler(IKvBackend backend, KvServerOptions options, IWriteCompletion completions, ConnectionBuffers buffers, ResponseComposer responses, IValueSink sink, IClientPeer peer, ListingPages pages, AccessGuard guard, RemoteWaits waits, BackendHealth health)
        {
            _backend = backend;
            _options = options;
            _completions = completions;
            _buffers = buffers;
            _responses = responses;
            _sink = sink;
            _peer = peer;
            _pages = pages;
            _guard = guard;
            _waits = waits;
            _health = health;
            _key = new byte[options.Limits.MaxRequestLineBytes];
            _maxBody = options.MaxValueLength;
        }

        /// <summary>Where a request stands while the backend works on it.</summary>
        private enum Step : byte
        {
            None,
            Read,
            Wait,
            ReadAfterWait,
            PinRead,
            Write,
            Delete,
            List,
        }

        public ulong Token { get; set; }

        public long MaxBodyLength => _maxBody;

        /// <summary>A long-poll the backend watches for: a client hanging up meanwhile closes the connection, which ends the watch.</summary>
        public bool IsWaiting => _step == Step.Wait;

        private ReadOnlySpan<byte> Key => _key.AsSpan(0, _keyLength);

        public void Bind(IValueSink sink, IReadWaits waits, IClientPeer peer, ulong token)
        {
            _sink = sink;
            _peer = peer;
            Token = token;
        }

        public RejectReason Accept(in RequestHead head, ReadOnlySpan<byte> input)
        {
            _keyLength = KeyDecoder.Decode(input.Slice(head.KeyOffset, head.KeyLength), _key);
            _route = head.KeyLength == 0 ? Route.Listing : AdminRequest.IsAdmin(Key) ? Route.Admin : Route.Key;
            if (_route == Route.Admin && !AdminRequest.Exists(Key))
            {
                return RejectReason.UnknownAdminEndpoint;
            }

            RejectReason access = _guard.Check(in head, input, _route, Key, out _tokenPrefix);
            if (access != RejectReason.None)
            {
                _guard.Refused(access, in head, input, _peer.PeerAddress());
                return access;
            }

            if (_keyLength > _options.MaxKeyLength)
            {
                return RejectReason.KeyTooLong;
            }

            _maxBody = Math.Min(_options.MaxValueLength, _backend.MaxValueLength(_keyLength));
            if (head.ContentLength > _options.MaxValueLength)
            {
                return RejectReason.ValueTooLarge;
            }

            if (_route == Route.Key && head.ContentLength > _maxBody && TakesBody(head.Method))
            {
                return RejectReason.ValueTooLargeForBackend;
            }

            _method = head.Method;
            _bodyLength = 0;
            _expires = 0;
            _pinReads = 0;
            if (_route == Route.Admin)
            {
                return RejectReason.None;
            }

            if (_route == Route.Listing)
            {
                if (head.Method is not (HttpMethod.Get or HttpMethod.Head))
                {
                    return RejectReason.ListingMethodNotAllowed;
                }

                _listingQuery ??= new ListingQuery(_options.MaxKeyLength);
                return _listingQuery.Read(input.Slice(head.QueryOffset, head.QueryLength)) ? RejectReason.None : RejectReason.BadListingQuery;
            }

            RejectReason query = KeyQuery.Read(input.Slice(head.QueryOffset, head.QueryLength), head.Method, out long timeToLive);
            if (query != RejectReason.None)
            {
                return query;
            }

            // Fixed now, as the local store fixes it: the answer's Expires is what every read will say.
            _expires = timeToLive > 0 ? KvStore.ExpiryAfter(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), timeToLive) : 0;

            return _conditions.Read(in head, input) ? RejectReason.None : RejectReason.TooManyEntityTags;
        }

        public bool TakesBody(HttpMethod method) => method is HttpMethod.Put or HttpMethod.Post;

        public bool Append(ReadOnlySpan<byte> data)
        {
            if (_route != Route.Key)
            {
                return true; // read and dropped
            }

            if (_bodyLength + data.Length > _maxBody)
            {
                // A chunked body can outgrow the limit its head did not declare.
                Abort();
                _responses.Refusal(RejectReason.ValueTooLargeForBackend, close: true);
                return false;
            }

            if (_bodyLength + data.Length > _body.Length)
            {
                Array.Resize(ref _body, (int)Math.Min(_maxBody, Math.Max(_body.Length * 2L, _bodyLength + data.Length)));
            }

            data.CopyTo(_body.AsSpan(_bodyLength));
            _bodyLength += data.Length;
            return true;
        }

        public HandlerReply Respond()
        {
            if (_route == Route.Admin)
            {
                _responses.Text(501, "checkpoints are of the local store; this server's keys are in etcd: back them up with etcdctl snapshot save (docs/etcd.md)\n"u8);
                return HandlerReply.Answered;
            }

            if (_route == Route.Listing)
            {
                return List();
            }

            switch (_method)
            {
                case HttpMethod.Put:
                case HttpMethod.Post:
                case HttpMethod.Delete:
                    if (_conditions.TryAsWriteCondition(out WriteCondition condition))
                    {
                        Write(condition);
                    }
                    else
                    {
                        StartRead(Step.PinRead);
                    }

                    return HandlerReply.Pending;
                default:
                    StartRead(Step.Read);
                    return HandlerReply.Pending;
            }
        }

        /// <summary>The backend reported on this connection's request: answer it, or take the next step (a wait, a write after its read).</summary>
        public bool OnStored(WriteOutcome outcome, ulong version)
        {
            RemoteReply? reply = _pending;
            if (reply is null || reply.Outcome == RemoteOutcome.None)
            {
                return false; // not this request's report
            }

            Step step = _step;
            _pending = null;
            _step = Step.None;
            if (step == Step.Wait)
            {
                _waits.Remove(reply);
            }

            if (!Fits(step, reply.Outcome))
            {
                // A backend reported something this step did not ask for: nothing is known of the outcome.
                _health.Refused("reported " + reply.Outcome + " to a request that asked for " + step, Environment.TickCount64);
                ShrinkBody();
                _responses.Text(500, "the store behind this server answered out of turn\n"u8);
                return true;
            }

            switch (reply.Outcome)
            {
                case RemoteOutcome.Unavailable:
                    _health.Unavailable(reply.Reason ?? "no reason given", Environment.TickCount64);
                    ShrinkBody();
                    _responses.Text(503, "the store behind this server did not answer in time; nothing is known of a write's fate: retry, reading first if it was conditional\n"u8, _responses.ConnectionEnds, "Retry-After: 1\r\n"u8);
                    return true;
                case RemoteOutcome.Failed:
                    _health.Refused(reply.Reason ?? "no reason given", Environment.TickCount64);
                    ShrinkBody();
                    _responses.Text(500, "the store behind this server refused the request\n"u8);
                    return true;
            }

            _health.Answered();
            switch (step)
            {
                case Step.Read:
                    return AnswerRead(reply.ReadResult!, mayWait: true);
                case Step.ReadAfterWait:
                    return AnswerRead(reply.ReadResult!, mayWait: false);
                case Step.Wait:
                    // Changed or not, the answer is the key as it stands now.
                    StartRead(Step.ReadAfterWait);
                    return false;
                case Step.PinRead:
                    return WritePinned(reply.ReadResult!);
                case Step.Write:
                case Step.Delete:
                    return AnswerWrite(reply.WriteResult);
                case Step.List:
                    AnswerListing(reply.Keys!, reply.More);
                    return true;
                default:
                    return false;
            }
        }

        private static bool Fits(Step step, RemoteOutcome outcome) => outcome switch
        {
            RemoteOutcome.Unavailable or RemoteOutcome.Failed => true,
            RemoteOutcome.Read => step is Step.Read or Step.ReadAfterWait or Step.PinRead,
            RemoteOutcome.Written => step is Step.Write or Step.Delete,
            RemoteOutcome.Listed => step == Step.List,
            RemoteOutcome.Waited => step == Step.Wait,
            _ => false,
        };

        public void AnswerWait(ReadWait wait) => throw new InvalidOperationException("a remote backend's long-polls do not park");

        public void Abort()
        {
            if (_pending is { } pending)
            {
                if (_step == Step.Wait)
                {
                    _waits.Remove(pending);
                }

                pending.Abandon();
            }

            _pending = null;
            _step = Step.None;
            ShrinkBody();
        }

        private RemoteReply Begin(Step step)
        {
            _step = step;
            _pending = new RemoteReply(_completions, Token);
            return _pending;
        }

        private void StartRead(Step step) => _backend.BeginGet(Key, Begin(step));

        private void Write(WriteCondition condition)
        {
            RemoteReply reply = Begin(_method == HttpMethod.Delete ? Step.Delete : Step.Write);
            if (_method == HttpMethod.Delete)
            {
                _backend.BeginDelete(Key, condition, reply);
            }
            else
            {
                _backend.BeginPut(Key, _body.AsSpan(0, _bodyLength), condition, _expires, reply);
            }
        }

        /// <summary>
        /// A write whose conditions the backend cannot compare in one step: judged against the key as read, then
        /// written only if the key is still exactly that (its version, or still absent). A write refused that way
        /// found the key changed since the read: read again, up to <see cref="PinAttempts"/> times.
        /// </summary>
        private bool WritePinned(BackendRead read)
        {
            bool exists = read.Value is not null;
            ulong version = exists ? read.Value!.Info.Version : 0;
            if (_conditions.Evaluate(_method, exists, version) != ConditionVerdict.Proceed)
            {
                ShrinkBody();
                _responses.Text(412, ValueAnswers.PreconditionFailedText);
                return true;
            }

            _pinReads++;
            Write(exists ? WriteCondition.IfVersion(version) : WriteCondition.IfAbsent);
            return false;
        }

        private bool AnswerWrite(WriteResult result)
        {
            if (result.Outcome == WriteOutcome.PreconditionFailed && _pinReads is > 0 and < PinAttempts)
            {
                StartRead(Step.PinRead); // the key changed between the read and the write
                return false;
            }

            if (result.Outcome == WriteOutcome.PreconditionFailed && _pinReads >= PinAttempts)
            {
                ShrinkBody();
                _responses.Text(503, "the key kept changing while its conditions were checked; retry\n"u8, _responses.ConnectionEnds, "Retry-After: 1\r\n"u8);
                return true;
            }

            ShrinkBody();
            ValueAnswers.Written(_responses, _fields, result.Outcome, result.Version, _expires);
            return true;
        }

        /// <summary>GET and HEAD, as <see cref="KvHandler"/> answers them, from the value the backend read.</summary>
        private bool AnswerRead(BackendRead read, bool mayWait)
        {
            BackendValue? value = read.Value;
            bool exists = value is not null;
            ValueInfo info = exists ? value!.Info : default;
            ConditionVerdict verdict = _conditions.Evaluate(_method, exists, info.Version);
            if (mayWait && Waits(verdict, exists))
            {
                long seconds = Math.Min(_conditions.WaitSeconds, KvHandler.MaxWaitSeconds);
                RemoteReply wait = Begin(Step.Wait);
                _waits.Add(wait);
                _backend.BeginWait(Key, read.Revision, TimeSpan.FromSeconds(seconds), wait);
                return false;
            }

            if (!ValueAnswers.ReadHead(_responses, _fields, _method, _conditions, verdict, exists, info.Length, info.Version, info.ExpiresAtUnixSeconds, out long start, out long count))
            {
                return true;
            }

            ReadOnlySpan<byte> body = value!.Value.AsSpan((int)start, (int)count);
            if (_method == HttpMethod.Get && body.Length > 0)
            {
                SendBody(body);
            }

            return true;
        }

        /// <summary>Behind the head when it fits in the output area, else from a native page after it.</summary>
        private void SendBody(ReadOnlySpan<byte> body)
        {
            if (body.Length <= _responses.Room.Length)
            {
                body.CopyTo(_responses.Room);
                _responses.Body(body.Length);
                return;
            }

            NativeRegion page = _pages.RentAtLeast(body.Length);
            body.CopyTo(page.AsSpan(0, body.Length));
            _sink.Send(page, body.Length, _pages);
        }

        private bool Waits(ConditionVerdict verdict, bool exists)
            => _method == HttpMethod.Get && _conditions.WaitSeconds > 0 && !_responses.Stopping && !_buffers.HasInput
                && (verdict == ConditionVerdict.NotModified || (verdict == ConditionVerdict.Proceed && !exists));

        private HandlerReply List()
        {
            ListingQuery query = _listingQuery!;
            ReadOnlySpan<byte> prefix = ListingQuery.NarrowedPrefix(query.Prefix, _tokenPrefix.Span, out bool disjoint);
            if (disjoint)
            {
                AnswerListing(Array.Empty<BackendListedKey>(), more: false);
                return HandlerReply.Answered;
            }

            _backend.BeginList(prefix, query.After, query.Limit, Begin(Step.List));
            return HandlerReply.Pending;
        }

        /// <summary>The page as <see cref="KvHandler"/> writes it: it ends at the limit, or early when a key would not fit, with next naming the last key listed.</summary>
        private void AnswerListing(IReadOnlyList<BackendListedKey> keys, bool more)
        {
            NativeRegion page = _pages.Rent();
            var writer = new ListingWriter(page.AsSpan(0, ListingPages.PageSize));
            ReadOnlySpan<byte> last = ReadOnlySpan<byte>.Empty;
            int written = 0;
            foreach (BackendListedKey listed in keys)
            {
                if (!writer.HasRoomFor(listed.Key.Length))
                {
                    more = true; // the page is full
                    break;
                }

                writer.Entry(listed.Key, listed.Length, listed.Version);
                last = listed.Key;
                written++;
            }

            writer.End(last, hasNext: more && written > 0);
            ListingAnswer.Send(page, writer.Length, _method, _responses, _sink, _pages);
        }

        private void ShrinkBody()
        {
            if (_body.Length > BodyStart)
            {
                _body = new byte[BodyStart];
            }
        }
    }
}
