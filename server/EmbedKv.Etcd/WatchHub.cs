using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// Every wait of one store on one shared watch stream: each wait is a watcher of its own on that stream,
    /// under a watch id the hub chooses (etcd 3.4 takes a client's id), so ten thousand long-polls cost ten
    /// thousand small entries here and one HTTP/2 stream on the cluster, not ten thousand streams. A wait ends
    /// on its key's first event, when its time runs out, or when its caller gives up; each ended watcher is
    /// cancelled on the stream, so the cluster forgets it too.
    /// </summary>
    /// <remarks>
    /// A stream broken by a failing member (or one cut off from the leader: the stream asks for one, with
    /// <c>hasleader</c>) is opened again after a short pause, on whichever member the channel picks, and every
    /// wait still open is watched again from its own start revision, which etcd replays from its history: a
    /// change during the failover is not missed. If no stream stays up for the store's request timeout, the
    /// waits fail as unavailable, as every other call does.
    /// </remarks>
    internal sealed partial class WatchHub : IDisposable
    {
        private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

        private static readonly Metadata RequireLeader = new Metadata { { "hasleader", "true" } };

        private readonly Watch.WatchClient _client;
        private readonly TimeSpan _unavailableAfter;
        private readonly string _endpoints;
        private readonly object _gate = new object();
        private readonly Dictionary<long, Waiter> _waiters = new Dictionary<long, Waiter>();
        private long _nextId;
        private WatchStream? _stream;
        private DateTime _failingSince = DateTime.MaxValue;
        private bool _reconnecting;
        private bool _disposed;

        public WatchHub(Watch.WatchClient client, TimeSpan unavailableAfter, string endpoints)
        {
            _client = client;
            _unavailableAfter = unavailableAfter;
            _endpoints = endpoints;
        }

        /// <summary>Waits now open (for tests and diagnostics).</summary>
        public int Open
        {
            get
            {
                lock (_gate)
                {
                    return _waiters.Count;
                }
            }
        }

        /// <summary>Streams opened so far, the first included (for tests: a failover opens one more).</summary>
        public int StreamsOpened { get; private set; }

        /// <summary>
        /// True once <paramref name="key"/> changes after <paramref name="revision"/> (or etcd compacted its
        /// history past it, or cancelled the watcher: the caller reads again either way); false when
        /// <paramref name="timeout"/> runs out first.
        /// </summary>
        public Task<bool> WaitAsync(ByteString key, long revision, TimeSpan timeout, CancellationToken cancellation)
        {
            cancellation.ThrowIfCancellationRequested();
            if (timeout <= TimeSpan.Zero)
            {
                return Task.FromResult(false);
            }

            var waiter = new Waiter(Interlocked.Increment(ref _nextId), key, revision + 1);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _waiters.Add(waiter.Id, waiter);
                if (_stream is null)
                {
                    if (!_reconnecting)
                    {
                        OpenStream(); // watches every open wait, this one included
                    }
                }
                else
                {
                    _stream.Send(waiter.CreateRequest());
                }
            }

            // Armed after it is watched: a time that runs out (or a caller giving up) at once ends it like any other.
            waiter.Arm(this, timeout, cancellation);
            return waiter.Task;
        }

        public void Dispose()
        {
            List<Waiter> left;
            lock (_gate)
            {
                _disposed = true;
                left = _waiters.Values.ToList();
                _waiters.Clear();
                _stream?.Close();
                _stream = null;
            }

            foreach (Waiter waiter in left)
            {
                if (waiter.TryEnd())
                {
                    waiter.Cancelled();
                }
            }
        }

        /// <summary>Ends <paramref name="waiter"/>'s watch once: on the cluster too, unless etcd ended it itself.</summary>
        private void End(Waiter waiter, bool changed, bool cancelOnStream)
        {
            if (!waiter.TryEnd())
            {
                return;
            }

            lock (_gate)
            {
                _waiters.Remove(waiter.Id);
                if (cancelOnStream)
                {
                    _stream?.Send(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = waiter.Id } });
                }
            }

            waiter.Finish(changed);
        }

        private void Received(WatchResponse response)
        {
            Waiter? waiter;
            lock (_gate)
            {
                _failingSince = DateTime.MaxValue;
                if (!_waiters.TryGetValue(response.WatchId, out waiter))
                {
                    return; // a wait already ended (its cancel may still be on its way)
                }
            }

            // An event, a compaction past the start revision, or etcd cancelling the watcher: the history the
            // wait relies on has moved, so the caller reads the key again rather than trust a wait that could miss a change.
            if (response.Events.Count > 0 || response.CompactRevision != 0 || response.Canceled)
            {
                End(waiter, changed: true, cancelOnStream: !response.Canceled);
            }
        }

        /// <summary>A stream ended or broke: open another after a pause, or give the waits up if none has stayed up for the timeout.</summary>
        private void Broken(WatchStream stream, Exception? failure)
        {
            List<Waiter>? giveUp = null;
            lock (_gate)
            {
                if (_stream != stream || _disposed)
                {
                    return;
                }

                _stream = null;
                if (_waiters.Count == 0)
                {
                    return; // the next wait opens a stream
                }

                DateTime now = DateTime.UtcNow;
                if (_failingSince == DateTime.MaxValue)
                {
                    _failingSince = now;
                }
                else if (now - _failingSince > _unavailableAfter)
                {
                    giveUp = _waiters.Values.ToList();
                    _waiters.Clear();
                    _failingSince = DateTime.MaxValue;
                }

                _reconnecting = giveUp is null;
            }

            if (giveUp is not null)
            {
                var unavailable = new EtcdUnavailableException("etcd watch: no member of " + _endpoints + " could be watched for " + _unavailableAfter.TotalSeconds + " s: " + (failure?.Message ?? "the stream ended"), failure ?? new RpcException(new Status(StatusCode.Unavailable, "the watch stream ended")));
                foreach (Waiter waiter in giveUp)
                {
                    if (waiter.TryEnd())
                    {
                        waiter.Fail(unavailable);
                    }
                }

                return;
            }

            _ = Task.Delay(RetryPause).ContinueWith(_ => Reopen(), TaskScheduler.Default);
        }

        private void Reopen()
        {
            lock (_gate)
            {
                _reconnecting = false;
                if (_disposed || _stream is not null || _waiters.Count == 0)
                {
                    return;
                }

                OpenStream();
            }
        }

        /// <summary>Opens a stream and watches every open wait on it; under the gate.</summary>
        private void OpenStream()
        {
            StreamsOpened++;
            _stream = new WatchStream(this, _client.Watch(RequireLeader));
            foreach (Waiter waiter in _waiters.Values)
            {
                _stream.Send(waiter.CreateRequest());
            }

            _stream.Start();
        }
    }
}
