using System;
using System.Threading.Tasks;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Storage;

namespace EmbedKv.Etcd
{
    /// <summary>
    /// <see cref="EtcdStore"/> behind EmbedKv's HTTP API (<see cref="EmbedKv.Server.KvServerOptions.Backend"/>): each
    /// call from an event loop copies its spans, starts the etcd call on gRPC's own I/O and returns; the outcome
    /// goes to the loop through the reply. The event loops never wait on the network.
    /// </summary>
    public sealed class EtcdBackend : IKvBackend, IDisposable
    {
        private readonly EtcdStore _store;

        /// <summary>A backend on a cluster of its own making.</summary>
        /// <param name="options">The cluster's endpoints and the limits.</param>
        public EtcdBackend(EtcdStoreOptions options)
        {
            _store = EtcdStore.Connect(options);
            Description = "etcd at " + string.Join(",", options.Endpoints);
        }

        /// <summary>The store the backend calls (for reads and writes outside HTTP).</summary>
        public EtcdStore Store => _store;

        /// <inheritdoc/>
        public string Description { get; }

        /// <inheritdoc/>
        public long MaxValueLength(int keyLength) => _store.MaxValueLength(keyLength);

        /// <inheritdoc/>
        public void BeginGet(ReadOnlySpan<byte> key, IBackendReply reply)
            => Report(_store.GetAsync(key.ToArray(), reply.Cancellation), reply, read => reply.Read(read));

        /// <inheritdoc/>
        public void BeginPut(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, WriteCondition condition, long expiresAtUnixSeconds, IBackendReply reply)
            => Report(_store.PutUntilAsync(key.ToArray(), value.ToArray(), condition, expiresAtUnixSeconds, reply.Cancellation), reply, result => reply.Written(result));

        /// <inheritdoc/>
        public void BeginDelete(ReadOnlySpan<byte> key, WriteCondition condition, IBackendReply reply)
            => Report(_store.DeleteAsync(key.ToArray(), condition, reply.Cancellation), reply, result => reply.Written(result));

        /// <inheritdoc/>
        public void BeginList(ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> after, int limit, IBackendReply reply)
            => Report(_store.ListAsync(prefix.ToArray(), after.ToArray(), limit, reply.Cancellation), reply, listing => reply.Listed(listing.Keys, listing.More));

        /// <inheritdoc/>
        public void BeginWait(ReadOnlySpan<byte> key, long revision, TimeSpan timeout, IBackendReply reply)
            => Report(_store.WaitForChangeAsync(key.ToArray(), revision, timeout, reply.Cancellation), reply, changed => reply.Waited(changed), isWait: true);

        /// <summary>Closes the connection to the cluster.</summary>
        public void Dispose() => _store.Dispose();

        /// <summary>
        /// Sends the task's outcome to the reply once it ends, on the thread that ends it: a value to
        /// <paramref name="done"/>, an unreachable cluster to Unavailable, a cancelled wait to false (the server
        /// stops, and answers it as the key stands), anything else to Failed (a value over the limit, which the
        /// server refuses before it asks).
        /// </summary>
        private static void Report<T>(Task<T> task, IBackendReply reply, Action<T> done, bool isWait = false)
        {
            task.ContinueWith(
                finished =>
                {
                    if (finished.IsCompletedSuccessfully)
                    {
                        done(finished.Result);
                        return;
                    }

                    Exception? failure = finished.Exception?.GetBaseException();
                    if (isWait && (finished.IsCanceled || failure is OperationCanceledException))
                    {
                        reply.Waited(false); // ended early (the server stops): answered as the key stands
                    }
                    else if (finished.IsCanceled || failure is OperationCanceledException)
                    {
                        reply.Unavailable("the etcd call was cancelled"); // only an abandoned request is, and its reply is dropped
                    }
                    else if (failure is EtcdUnavailableException unavailable)
                    {
                        reply.Unavailable(unavailable.Message);
                    }
                    else
                    {
                        reply.Failed(failure?.Message ?? "the etcd call failed");
                    }
                },
                TaskScheduler.Default);
        }
    }
}
