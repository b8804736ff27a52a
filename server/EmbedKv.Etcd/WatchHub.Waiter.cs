using System;
using System.Threading;
using System.Threading.Tasks;
using Etcdserverpb;
using Google.Protobuf;

namespace EmbedKv.Etcd
{
    /// <content>One wait of the hub: its watcher's request, and its caller's task, ended exactly once.</content>
    internal sealed partial class WatchHub
    {
        /// <summary>One wait: its watch id, key and start revision, and the caller's task, ended exactly once.</summary>
        private sealed class Waiter
        {
            private readonly TaskCompletionSource<bool> _done = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            private readonly ByteString _key;
            private readonly long _startRevision;
            private WatchHub? _hub;
            private CancellationTokenSource? _window;
            private CancellationTokenRegistration _registration;
            private CancellationToken _caller;
            private int _ended;
            private bool _timedOut;

            public Waiter(long id, ByteString key, long startRevision)
            {
                Id = id;
                _key = key;
                _startRevision = startRevision;
            }

            public long Id { get; }

            public Task<bool> Task => _done.Task;

            public WatchRequest CreateRequest()
                => new WatchRequest { CreateRequest = new WatchCreateRequest { Key = _key, StartRevision = _startRevision, WatchId = Id } };

            /// <summary>True for the one caller that ends the wait; every later one is too late.</summary>
            public bool TryEnd() => Interlocked.Exchange(ref _ended, 1) == 0;

            /// <summary>Ends the wait with false when its time runs out, or cancelled when its caller gives up.</summary>
            public void Arm(WatchHub hub, TimeSpan timeout, CancellationToken cancellation)
            {
                _hub = hub;
                _caller = cancellation;
                _window = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
                _registration = _window.Token.UnsafeRegister(static state => ((Waiter)state!).TimedOut(), this);
                _window.CancelAfter(timeout);
                if (Volatile.Read(ref _ended) == 1)
                {
                    Release(); // an event came before the timer was set: it has nothing left to end
                }
            }

            public void Finish(bool changed)
            {
                Release();
                if (!changed && _caller.IsCancellationRequested)
                {
                    _done.TrySetCanceled(_caller);
                }
                else
                {
                    _done.TrySetResult(changed);
                }
            }

            public void Fail(Exception failure)
            {
                Release();
                _done.TrySetException(failure);
            }

            public void Cancelled()
            {
                Release();
                _done.TrySetCanceled();
            }

            private void TimedOut()
            {
                _timedOut = true;
                _hub!.End(this, changed: false, cancelOnStream: true);
            }

            private void Release()
            {
                _registration.Dispose();
                if (!_timedOut)
                {
                    // Stops the timer of a wait that ended early. One that ran out is not disposed from inside
                    // its own cancellation: its timer has fired, and the collector takes it.
                    _window?.Dispose();
                }
            }
        }
    }
}
