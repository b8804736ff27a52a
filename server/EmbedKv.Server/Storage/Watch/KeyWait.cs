using System;
using System.Threading;
using System.Threading.Tasks;
using System.Threading.Tasks.Sources;

namespace EmbedKv.Server.Storage.Watch
{
    /// <summary>
    /// One in-process wait for a key to change (<see cref="KvStore.WaitForChangeAsync"/>): the
    /// <see cref="IValueTaskSource{TResult}"/> behind its ValueTask, reused once its result was taken, so a
    /// wait allocates nothing in steady state. Its fields belong to <see cref="KeyWaiters"/> and are read
    /// and written under that one's lock.
    /// </summary>
    internal sealed class KeyWait : IValueTaskSource<bool>, IWatchLink<KeyWait>
    {
        private readonly KeyWaiters _owner;
        private ManualResetValueTaskSourceCore<bool> _core = new ManualResetValueTaskSourceCore<bool> { RunContinuationsAsynchronously = true };

        public KeyWait(KeyWaiters owner) => _owner = owner;

        /// <summary>The key's <see cref="WatchHash"/>.</summary>
        public ulong Hash { get; set; }

        /// <summary>When the wait gives up (milliseconds of the store clock's timestamp).</summary>
        public long Deadline { get; set; }

        /// <summary>Looked at its key and found it unchanged: from here on a reported change newer than <see cref="Since"/> ends it.</summary>
        public bool Armed { get; set; }

        /// <summary>The last write applied when it looked at its key: reports at or below it were seen by that look.</summary>
        public ulong Since { get; set; }

        /// <summary>The newest change reported before it was armed (judged against <see cref="Since"/> once it is).</summary>
        public ulong Noticed { get; set; }

        /// <summary>When the value waited on expires (Unix seconds by the store's clock), or 0.</summary>
        public uint Expires { get; set; }

        /// <summary>Whether it is still among the waiting (not yet completed).</summary>
        public bool Waiting { get; set; }

        /// <summary>Its place in the owner's list of all waits.</summary>
        public int Slot { get; set; }

        /// <summary>The next and previous wait on the same hash (the owner's chains).</summary>
        public KeyWait? Next { get; set; }

        public KeyWait? Previous { get; set; }

        public CancellationTokenRegistration Cancellation { get; set; }

        /// <summary>
        /// False once its cancellation callback may be running on another thread: it then must not serve
        /// another wait, which that callback would cancel.
        /// </summary>
        public bool Reusable { get; set; } = true;

        public ValueTask<bool> Task => new ValueTask<bool>(this, _core.Version);

        /// <summary>The token registered in <see cref="KeyWaiters.Arm"/> was cancelled.</summary>
        public void OwnerCancel(CancellationToken token) => _owner.Cancel(this, token);

        public void Complete(bool changed) => _core.SetResult(changed);

        public void Fail(Exception error) => _core.SetException(error);

        public bool GetResult(short token)
        {
            // A result asked for too early (or twice) is the caller's error: the core throws, and the wait,
            // still under way or already reused, must not go back to the pool.
            bool done = _core.GetStatus(token) != ValueTaskSourceStatus.Pending;
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                if (done)
                {
                    _core.Reset();
                    _owner.Recycle(this);
                }
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }
}
