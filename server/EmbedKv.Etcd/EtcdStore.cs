using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Http;
using System.Threading;
using System.Threading.Tasks;
using dotnet_etcd;
using dotnet_etcd.interfaces;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Storage;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Mvccpb;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// EmbedKv's key-value operations on an etcd v3 cluster (docs/etcd.md): a value's bytes are stored raw
    /// under its key, its version is the key's <c>mod_revision</c>, a condition is a Txn compare in the same
    /// request as the write, expiry is a lease, and waiting for a change is a watch from the revision read.
    /// Every call is bounded by <see cref="EtcdStoreOptions.RequestTimeout"/> and fails with
    /// <see cref="EtcdUnavailableException"/> rather than hang. Thread-safe; one per process is enough.
    /// </summary>
    /// <remarks>
    /// Reads are linearizable (etcd's default for Range), so a write acknowledged through one EmbedKv
    /// instance is seen by a read through any other instance that starts after it.
    /// </remarks>
    public sealed class EtcdStore : IDisposable
    {
        private readonly EtcdClient _client;
        private readonly IConnection _connection;
        private readonly LeaseExpiries _expiries;
        private readonly string _endpoints;
        private readonly byte[] _keyPrefix;
        private readonly WatchHub _watches;

        private EtcdStore(EtcdStoreOptions options, EtcdClient client)
        {
            Options = options;
            _client = client;
            _connection = client.GetConnection();
            _endpoints = string.Join(",", options.Endpoints);
            _expiries = new LeaseExpiries();
            _keyPrefix = options.KeyPrefixBytes; // fixed at connection: the options may be changed after it
            _watches = new WatchHub(_connection.WatchClient, options.RequestTimeout, _endpoints);
        }

        /// <summary>The options it was connected with.</summary>
        public EtcdStoreOptions Options { get; }

        /// <summary>Makes a store for the cluster at <paramref name="options"/>' endpoints. Connects lazily: an unreachable cluster fails the first call, not this one.</summary>
        /// <param name="options">Endpoints and limits; validated here.</param>
        /// <returns>The store.</returns>
        /// <exception cref="ArgumentException">The options are invalid.</exception>
        public static EtcdStore Connect(EtcdStoreOptions options)
        {
            ArgumentNullException.ThrowIfNull(options);
            options.Validate();
            // Values up to the cluster's request limit come back in one answer, and a listing batch carries
            // ListBatch of them: gRPC's default 4 MiB receive limit would refuse such answers.
            var client = new EtcdClient(string.Join(",", options.Endpoints), configureChannelOptions: channel => channel.MaxReceiveMessageSize = null);
            return new EtcdStore(options, client);
        }

        /// <summary>Reads <paramref name="key"/>.</summary>
        /// <param name="key">The key, not empty.</param>
        /// <param name="cancellation">Gives up early.</param>
        /// <returns>The value with its version and expiry, or none if the key does not exist (an expired key does not), and the cluster's revision at the read.</returns>
        /// <exception cref="EtcdUnavailableException">The cluster did not answer in time.</exception>
        public async Task<BackendRead> GetAsync(ReadOnlyMemory<byte> key, CancellationToken cancellation = default)
        {
            CheckKey(key);
            RangeResponse response = await Call("get", (deadline, token) => _connection.KVClient.RangeAsync(new RangeRequest { Key = Stored(key.Span) }, deadline: deadline, cancellationToken: token).ResponseAsync, cancellation).ConfigureAwait(false);
            if (response.Kvs.Count == 0)
            {
                return new BackendRead(null, response.Header.Revision);
            }

            KeyValue kv = response.Kvs[0];
            long expires = kv.Lease == 0 ? 0 : await ExpiryOf(kv.Lease, cancellation).ConfigureAwait(false);
            if (expires != 0 && expires <= DateTimeOffset.UtcNow.ToUnixTimeSeconds())
            {
                // Past its expiry, before the leader revoked its lease (a lessor tick and a Raft round later):
                // absent, as its Expires said it would be.
                return new BackendRead(null, response.Header.Revision);
            }

            byte[] value = kv.Value.ToByteArray();
            return new BackendRead(new BackendValue(value, new ValueInfo(value.Length, (ulong)kv.ModRevision, expires)), response.Header.Revision);
        }

        /// <summary>Stores <paramref name="value"/> under <paramref name="key"/> if <paramref name="condition"/> holds, in one request.</summary>
        /// <param name="key">The key, not empty.</param>
        /// <param name="value">The value; with the key it must fit the cluster's request limit (<see cref="MaxValueLength"/>).</param>
        /// <param name="condition">What the key's current state must be.</param>
        /// <param name="timeToLive">Expire the value after this long, rounded up to whole seconds (a lease).</param>
        /// <param name="cancellation">Gives up early; the write may still be applied.</param>
        /// <returns>Created or Replaced with the new version, or PreconditionFailed.</returns>
        /// <exception cref="ArgumentOutOfRangeException">The value is over the request limit.</exception>
        /// <exception cref="EtcdUnavailableException">The cluster did not answer in time; the write may or may not have been applied.</exception>
        public Task<WriteResult> PutAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, WriteCondition condition, TimeSpan? timeToLive = null, CancellationToken cancellation = default)
        {
            // Rounded up to the next whole second, as the server rounds a ttl: the value lives at least that long.
            long expires = timeToLive is { } ttl ? (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + ((long)Math.Ceiling(ttl.TotalSeconds) * 1000) + 999) / 1000 : 0;
            return PutUntilAsync(key, value, condition, expires, cancellation);
        }

        /// <summary>
        /// As <see cref="PutAsync"/>, expiring at <paramref name="expiresAtUnixSeconds"/> (0: never), which the
        /// HTTP server fixed when the request came. The value reads as absent from that second on, on every
        /// instance: the expiry is in its lease's id (<see cref="LeaseIds"/>), and the lease itself ends a
        /// second later, so etcd never removes the value before its Expires.
        /// </summary>
        internal async Task<WriteResult> PutUntilAsync(ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value, WriteCondition condition, long expiresAtUnixSeconds, CancellationToken cancellation)
        {
            CheckKey(key);
            long limit = MaxValueLength(key.Length);
            if (value.Length > limit)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value.Length, "etcd takes requests of at most " + Options.MaxRequestBytes + " bytes (--max-request-bytes), so a value under this key can have at most " + Math.Max(0, limit) + " bytes");
            }

            if (!EtcdRequests.CanHold(condition))
            {
                return new WriteResult(WriteOutcome.PreconditionFailed, 0);
            }

            long lease = expiresAtUnixSeconds > 0 ? await GrantLease(expiresAtUnixSeconds, cancellation).ConfigureAwait(false) : 0;
            ByteString stored = Stored(key.Span);
            ByteString bytes = ByteString.CopyFrom(value.Span);
            KeyValue? previous;
            long revision;
            if (condition.Kind == WriteConditionKind.None)
            {
                // No compare: a plain Put, which costs etcd about half what a Txn of one Put does (bench/results/etcd.md).
                var put = new PutRequest { Key = stored, Value = bytes, Lease = lease, PrevKv = true };
                PutResponse response = await Call("put", (deadline, token) => _connection.KVClient.PutAsync(put, deadline: deadline, cancellationToken: token).ResponseAsync, cancellation).ConfigureAwait(false);
                (previous, revision) = (response.PrevKv, response.Header.Revision);
            }
            else
            {
                TxnRequest txn = EtcdRequests.Put(stored, bytes, lease, condition);
                TxnResponse response = await Call("put", (deadline, token) => _connection.KVClient.TxnAsync(txn, deadline: deadline, cancellationToken: token).ResponseAsync, cancellation).ConfigureAwait(false);
                if (!response.Succeeded)
                {
                    if (lease != 0)
                    {
                        RevokeQuietly(lease); // not awaited: the answer does not wait for it
                    }

                    return new WriteResult(WriteOutcome.PreconditionFailed, 0);
                }

                (previous, revision) = (response.Responses[0].ResponsePut.PrevKv, response.Header.Revision);
            }

            // A previous value past its Expires, whose lease etcd had not yet revoked, was already absent.
            bool replaced = previous is not null && !await IsExpired(previous, cancellation).ConfigureAwait(false);
            return new WriteResult(replaced ? WriteOutcome.Replaced : WriteOutcome.Created, (ulong)revision);
        }

        /// <summary>Deletes <paramref name="key"/> if <paramref name="condition"/> holds, in one Txn.</summary>
        /// <param name="key">The key, not empty.</param>
        /// <param name="condition">What the key's current state must be.</param>
        /// <param name="cancellation">Gives up early; the delete may still be applied.</param>
        /// <returns>Deleted (with the cluster's revision), NotFound, or PreconditionFailed.</returns>
        /// <exception cref="EtcdUnavailableException">The cluster did not answer in time.</exception>
        public async Task<WriteResult> DeleteAsync(ReadOnlyMemory<byte> key, WriteCondition condition, CancellationToken cancellation = default)
        {
            CheckKey(key);
            if (!EtcdRequests.CanHold(condition))
            {
                return new WriteResult(WriteOutcome.PreconditionFailed, 0);
            }

            TxnRequest txn = EtcdRequests.Delete(Stored(key.Span), condition);
            TxnResponse response = await Call("delete", (deadline, token) => _connection.KVClient.TxnAsync(txn, deadline: deadline, cancellationToken: token).ResponseAsync, cancellation).ConfigureAwait(false);
            if (!response.Succeeded)
            {
                return new WriteResult(WriteOutcome.PreconditionFailed, 0);
            }

            DeleteRangeResponse deleted = response.Responses[0].ResponseDeleteRange;
            if (deleted.Deleted == 0)
            {
                return new WriteResult(WriteOutcome.NotFound, 0);
            }

            // Past its Expires before etcd revoked its lease, the key was already absent: deleting it changed
            // nothing a reader could see, and a condition that needed it to exist did not hold.
            if (deleted.PrevKvs.Count > 0 && await IsExpired(deleted.PrevKvs[0], cancellation).ConfigureAwait(false))
            {
                return condition.Kind is WriteConditionKind.IfExists or WriteConditionKind.IfVersion
                    ? new WriteResult(WriteOutcome.PreconditionFailed, 0)
                    : new WriteResult(WriteOutcome.NotFound, 0);
            }

            return new WriteResult(WriteOutcome.Deleted, (ulong)response.Header.Revision);
        }

        /// <summary>
        /// Up to <paramref name="limit"/> keys starting with <paramref name="prefix"/> and after
        /// <paramref name="after"/>, in byte order, fewer (with more to follow) once the values fetched with them
        /// pass <see cref="EtcdStoreOptions.ListBudgetBytes"/>: etcd's Range sends every value with its key, and
        /// the listing needs their sizes, so a page of large values must stop early rather than pull gigabytes.
        /// </summary>
        /// <remarks>
        /// The first Range asks for <see cref="FirstListBatch"/> keys; each later one for as many as the budget
        /// left holds at the largest value seen so far, at most twice the batch before and at most
        /// <see cref="EtcdStoreOptions.ListBatch"/>. Sizes seen are no promise of sizes to come (small keys may sort
        /// before large ones), so what a page fetches is bounded by the budget plus one Range call: at most
        /// ListBatch values of the cluster's largest size, and far less when the sizes are even.
        /// </remarks>
        /// <param name="prefix">Only keys starting with this (empty: all).</param>
        /// <param name="after">Only keys after this one (empty: from the first).</param>
        /// <param name="limit">At most this many, at least 1.</param>
        /// <param name="cancellation">Gives up early.</param>
        /// <returns>The keys, and whether more follow.</returns>
        /// <exception cref="EtcdUnavailableException">The cluster did not answer in time.</exception>
        public async Task<EtcdListing> ListAsync(ReadOnlyMemory<byte> prefix, ReadOnlyMemory<byte> after, int limit, CancellationToken cancellation = default)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
            var keys = new List<BackendListedKey>(Math.Min(limit, FirstListBatch));
            byte[] storedPrefix = Stored(prefix.Span).ToByteArray();
            // The cursor is a key as stored, under the store's own prefix; an empty one starts at the prefix.
            byte[] cursor = after.IsEmpty ? Array.Empty<byte>() : Stored(after.Span).ToByteArray();
            long revision = 0;
            long fetched = 0;
            long largest = 1;
            int batch = Math.Min(Math.Min(FirstListBatch, Options.ListBatch), limit);
            while (true)
            {
                RangeRequest range = EtcdRequests.List(storedPrefix, cursor, batch);
                // Every batch after the first reads at the first one's revision: one consistent picture. (A Range
                // at a past revision answers with the current one in its header, so only the first sets it.)
                range.Revision = revision;
                RangeResponse response = await Call("list", (deadline, token) => _connection.KVClient.RangeAsync(range, deadline: deadline, cancellationToken: token).ResponseAsync, cancellation).ConfigureAwait(false);
                if (revision == 0)
                {
                    revision = response.Header.Revision;
                }

                foreach (KeyValue kv in response.Kvs)
                {
                    keys.Add(new BackendListedKey(kv.Key.Span.Slice(_keyPrefix.Length).ToArray(), kv.Value.Length, (ulong)kv.ModRevision));
                    fetched += kv.Value.Length;
                    largest = Math.Max(largest, kv.Value.Length);
                }

                if (!response.More || response.Kvs.Count == 0)
                {
                    return new EtcdListing(keys, More: false);
                }

                // The budget left holds the next key only if it is no larger than the largest so far: else stop here.
                long room = Options.ListBudgetBytes - fetched;
                if (keys.Count == limit || room < largest)
                {
                    return new EtcdListing(keys, More: true);
                }

                batch = (int)Math.Min(Math.Min(room / largest, 2L * batch), Math.Min(Options.ListBatch, limit - keys.Count));
                cursor = response.Kvs[^1].Key.ToByteArray();
                if (BetweenListBatches is { } between)
                {
                    await between().ConfigureAwait(false);
                }
            }
        }

        /// <summary>
        /// Waits until <paramref name="key"/> changes after <paramref name="revision"/> (a write, a delete, or
        /// its lease expiring), or until <paramref name="timeout"/>. A watch from revision + 1 sees every change
        /// after the read that gave <paramref name="revision"/>, so no change between that read and this call
        /// is missed. A member that fails mid-wait is replaced by another, from the same revision.
        /// </summary>
        /// <param name="key">The key, not empty.</param>
        /// <param name="revision"><see cref="BackendRead.Revision"/> of the read the caller answered from.</param>
        /// <param name="timeout">The longest to wait.</param>
        /// <param name="cancellation">Gives up early.</param>
        /// <returns>True if the key changed (or the cluster compacted past <paramref name="revision"/>, so the caller should read again); false if the time ran out.</returns>
        /// <exception cref="EtcdUnavailableException">No member could be watched for <see cref="EtcdStoreOptions.RequestTimeout"/>.</exception>
        public Task<bool> WaitForChangeAsync(ReadOnlyMemory<byte> key, long revision, TimeSpan timeout, CancellationToken cancellation = default)
        {
            CheckKey(key);
            return _watches.WaitAsync(Stored(key.Span), revision, timeout, cancellation);
        }

        /// <summary>Closes the connection to the cluster; waits still open end as cancelled.</summary>
        public void Dispose()
        {
            _watches.Dispose();
            _client.Dispose();
        }

        /// <summary>The largest value a key of <paramref name="keyLength"/> bytes can carry, with this store's key prefix (fixed at connection).</summary>
        /// <param name="keyLength">The key's length in bytes, without the prefix.</param>
        /// <returns>The limit in bytes; 0 or less if the key alone leaves no room.</returns>
        public long MaxValueLength(int keyLength) => Options.ValueRoom((long)keyLength + _keyPrefix.Length);

        /// <summary>For tests: runs between two Range calls of a listing, where another client's write may land.</summary>
        internal Func<Task>? BetweenListBatches { get; set; }

        /// <summary>The waits' shared watch stream (for tests).</summary>
        internal WatchHub Watches => _watches;

        /// <summary>Keys the first Range of a listing asks for, before the values' size is known.</summary>
        internal const int FirstListBatch = 8;

        private static void CheckKey(ReadOnlyMemory<byte> key)
        {
            if (key.IsEmpty)
            {
                throw new ArgumentException("etcd has no empty key", nameof(key));
            }
        }

        /// <summary><paramref name="key"/> as the cluster holds it: after <see cref="EtcdStoreOptions.KeyPrefix"/>.</summary>
        private ByteString Stored(ReadOnlySpan<byte> key)
        {
            if (_keyPrefix.Length == 0)
            {
                return ByteString.CopyFrom(key);
            }

            byte[] stored = new byte[_keyPrefix.Length + key.Length];
            _keyPrefix.CopyTo(stored, 0);
            key.CopyTo(stored.AsSpan(_keyPrefix.Length));
            return UnsafeByteOperations.UnsafeWrap(stored);
        }

        /// <summary>
        /// A lease for a value that expires at <paramref name="expiresAt"/>: its id carries that expiry
        /// (<see cref="LeaseIds"/>), and it lasts until a second past it, so that etcd never removes the value
        /// before reads call it expired. An id etcd finds taken is asked for again with other random bits.
        /// </summary>
        private async Task<long> GrantLease(long expiresAt, CancellationToken cancellation)
        {
            for (int attempt = 1; ; attempt++)
            {
                long seconds = Math.Max(1, expiresAt - DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
                var grant = new LeaseGrantRequest { ID = LeaseIds.For(expiresAt), TTL = seconds };
                try
                {
                    return (await Call("lease grant", (deadline, token) => _connection.LeaseClient.LeaseGrantAsync(grant, deadline: deadline, cancellationToken: token).ResponseAsync, cancellation).ConfigureAwait(false)).ID;
                }
                catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && e.Status.Detail.Contains("lease already exists", StringComparison.Ordinal) && attempt < 4)
                {
                    // 1 in 2 million for two writes expiring in the same second: draw again.
                }
            }
        }

        /// <summary>Whether <paramref name="kv"/> is past its Expires (its lease may not be revoked yet).</summary>
        private async Task<bool> IsExpired(KeyValue kv, CancellationToken cancellation)
        {
            if (kv.Lease == 0)
            {
                return false;
            }

            long expires = await ExpiryOf(kv.Lease, cancellation).ConfigureAwait(false);
            return expires <= DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        }

        /// <summary>
        /// When a key on <paramref name="lease"/> expires: from the lease's id when EmbedKv made it, else (a lease
        /// another client made) remembered or asked of the cluster once.
        /// </summary>
        private async Task<long> ExpiryOf(long lease, CancellationToken cancellation)
        {
            if (LeaseIds.TryExpiry(lease, out long expires) || _expiries.TryGet(lease, out expires))
            {
                return expires;
            }

            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            LeaseTimeToLiveResponse alive = await Call("lease ttl", (deadline, token) => _connection.LeaseClient.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = lease }, deadline: deadline, cancellationToken: token).ResponseAsync, cancellation).ConfigureAwait(false);
            // -1: the lease ran out between the read and this question; the key is gone by now.
            expires = alive.TTL < 0 ? now : now + alive.TTL;
            _expiries.Remember(lease, expires);
            return expires;
        }

        private void RevokeQuietly(long lease)
        {
            _ = _connection.LeaseClient.LeaseRevokeAsync(new LeaseRevokeRequest { ID = lease }, deadline: DateTime.UtcNow + Options.RequestTimeout).ResponseAsync.ContinueWith(
                static revoke => _ = revoke.Exception, // an unused lease only ends at its TTL: it holds no key
                TaskScheduler.Default);
        }

        /// <summary>
        /// One call with the request timeout as its deadline. Whatever leaves the outcome unknown becomes
        /// <see cref="EtcdUnavailableException"/> (503 over HTTP, never a 500 that would say "refused"): a deadline,
        /// no member reachable, a member killed mid-call (Internal, Unknown, or a Cancelled we did not ask for),
        /// a member too busy (ResourceExhausted), and a listing's revision compacted between its batches (OutOfRange),
        /// which a retry starts afresh.
        /// </summary>
        private async Task<T> Call<T>(string what, Func<DateTime, CancellationToken, Task<T>> call, CancellationToken cancellation)
        {
            try
            {
                return await call(DateTime.UtcNow + Options.RequestTimeout, cancellation).ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.DeadlineExceeded or StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown
                or StatusCode.ResourceExhausted or StatusCode.OutOfRange || (e.StatusCode == StatusCode.Cancelled && !cancellation.IsCancellationRequested))
            {
                throw new EtcdUnavailableException("etcd " + what + ": " + e.StatusCode + " from " + _endpoints + " within " + Options.RequestTimeout.TotalSeconds + " s: " + e.Status.Detail, e);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellation.IsCancellationRequested)
            {
                throw new OperationCanceledException("etcd " + what + " was cancelled", e, cancellation);
            }
            catch (Exception e) when (!cancellation.IsCancellationRequested && e is OperationCanceledException or HttpRequestException or IOException)
            {
                // A member killed mid-call can end the HTTP/2 stream under gRPC's retry without a status:
                // as unknown an outcome as a deadline.
                throw new EtcdUnavailableException("etcd " + what + ": the connection to " + _endpoints + " broke: " + e.Message, e);
            }
        }
    }
}
