using System;
using System.Threading;
using System.Threading.Tasks;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// One wait for one key to change: a watch stream from a revision, ended by the first event, the time
    /// running out, or the caller. A stream broken by a failing member is opened again from the same
    /// revision, which etcd replays from its history, so a change during the failover is not missed.
    /// </summary>
    /// <remarks>
    /// One stream per wait is simple and exact, but costs an HTTP/2 stream on the cluster for each waiting
    /// request; many thousands of waiters want one shared stream with a watch id each (docs/etcd.md, "Not yet").
    /// </remarks>
    internal sealed class KeyWatch
    {
        private static readonly TimeSpan RetryPause = TimeSpan.FromMilliseconds(100);

        private static readonly Metadata RequireLeader = new Metadata { { "hasleader", "true" } };

        private readonly Watch.WatchClient _client;
        private readonly TimeSpan _unavailableAfter;
        private readonly string _endpoints;

        public KeyWatch(Watch.WatchClient client, TimeSpan unavailableAfter, string endpoints)
        {
            _client = client;
            _unavailableAfter = unavailableAfter;
            _endpoints = endpoints;
        }

        public async Task<bool> WaitAsync(ByteString key, long revision, TimeSpan timeout, CancellationToken cancellation)
        {
            using var window = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            window.CancelAfter(timeout);
            var request = new WatchRequest { CreateRequest = new WatchCreateRequest { Key = key, StartRevision = revision + 1 } };
            DateTime failingSince = DateTime.MaxValue;
            while (true)
            {
                try
                {
                    // hasleader: a member cut off from the leader ends the stream (Unavailable) instead of keeping
                    // it open without events, so the wait moves to a member that sees the writes.
                    using AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call = _client.Watch(RequireLeader, cancellationToken: window.Token);
                    await call.RequestStream.WriteAsync(request, window.Token).ConfigureAwait(false);
                    while (await call.ResponseStream.MoveNext(window.Token).ConfigureAwait(false))
                    {
                        WatchResponse response = call.ResponseStream.Current;
                        failingSince = DateTime.MaxValue;
                        // Compacted past the revision, or cancelled by the member: the history is gone, so
                        // the caller reads the key again rather than trust a wait that could miss a change.
                        if (response.Events.Count > 0 || response.CompactRevision != 0 || response.Canceled)
                        {
                            return true;
                        }
                    }
                }
                catch (Exception e) when (window.IsCancellationRequested && IsCancellation(e))
                {
                    cancellation.ThrowIfCancellationRequested();
                    return false; // the time ran out
                }
                catch (Exception e) when (IsBrokenStream(e))
                {
                    DateTime now = DateTime.UtcNow;
                    if (failingSince == DateTime.MaxValue)
                    {
                        failingSince = now;
                    }
                    else if (now - failingSince > _unavailableAfter)
                    {
                        throw new EtcdUnavailableException("etcd watch: no member of " + _endpoints + " could be watched for " + _unavailableAfter.TotalSeconds + " s: " + e.Message, e);
                    }
                }

                // The stream ended or broke: a member went away. Open another from the same revision.
                try
                {
                    await Task.Delay(RetryPause, window.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    cancellation.ThrowIfCancellationRequested();
                    return false;
                }
            }
        }

        // A failing member ends the stream with a status, or, under gRPC's retry, with the HTTP/2 stream's own error.
        private static bool IsBrokenStream(Exception e)
            => e is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled }
                or OperationCanceledException or System.Net.Http.HttpRequestException or System.IO.IOException;

        private static bool IsCancellation(Exception e)
            => e is OperationCanceledException || (e is RpcException rpc && rpc.StatusCode == StatusCode.Cancelled);
    }
}
