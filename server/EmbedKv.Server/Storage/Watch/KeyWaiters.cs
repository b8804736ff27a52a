using System;
using System.Collections.Generic;
using System.Threading;

namespace EmbedKv.Server.Storage.Watch
{
    /// <summary>
    /// The store's in-process waits for a key to change (<see cref="KvStore.WaitForChangeAsync"/>), as
    /// one sink of the <see cref="KeyChangeFeed"/>: waits are chained by the key's hash, so a change
    /// completes only the waits on its key; one timer, set to the nearest deadline or expiry, ends the
    /// others. An event loop's long-polls have their own table (the server's WaitingReads), on the loop.
    /// </summary>
    internal sealed class KeyWaiters : IKeyChangeSink, IDisposable
    {
        // A value whose expiry second has come by the timer but not yet by the store's clock (the two are
        // different clocks) is looked at again this much later.
        private const long ExpiryRecheckMilliseconds = 20;

        // The longest a timer may be set for (ITimer.Change refuses more); a longer wait is re-armed when it fires.
        private const long LongestTimerMilliseconds = 0xFFFFFFFE;

        private readonly object _lock = new object();
        private readonly KeyChangeFeed _feed;
        private readonly TimeProvider _clock;
        private readonly int _sink;
        private readonly WatchChains<KeyWait> _chains;
        private readonly List<KeyWait> _all = new List<KeyWait>();
        private readonly Stack<KeyWait> _free = new Stack<KeyWait>();
        private ITimer? _timer;
        private long _timerDue = long.MaxValue;
        private bool _disposed;

        public KeyWaiters(KeyChangeFeed feed, TimeProvider clock)
        {
            _feed = feed;
            _clock = clock;
            _sink = feed.Register(this);
            _chains = new WatchChains<KeyWait>(feed, _sink);
        }

        /// <summary>Waits now under way (read by tests).</summary>
        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _all.Count;
                }
            }
        }

        /// <summary>
        /// Starts a wait on keys of <paramref name="hash"/> that ends after <paramref name="timeout"/>. It hears
        /// of every change from now on, so the caller looks at the key after this and ends the wait with
        /// <see cref="End"/> if it changed already; otherwise it calls <see cref="Arm"/>.
        /// </summary>
        public KeyWait Begin(ulong hash, TimeSpan timeout)
        {
            lock (_lock)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                KeyWait wait = _free.Count > 0 ? _free.Pop() : new KeyWait(this);
                wait.Hash = hash;
                wait.Expires = 0;
                wait.Armed = false;
                wait.Since = 0;
                wait.Noticed = 0;
                wait.Deadline = timeout == Timeout.InfiniteTimeSpan || timeout.TotalMilliseconds >= long.MaxValue / 2
                    ? long.MaxValue
                    : Now() + (long)Math.Ceiling(timeout.TotalMilliseconds);
                wait.Waiting = true;
                wait.Slot = _all.Count;
                _all.Add(wait);

                _chains.Add(wait);
                return wait;
            }
        }

        /// <summary>
        /// The key was found unchanged by a look that saw every write up to <paramref name="applied"/>: the wait
        /// now ends on a newer change (one reported meanwhile ends it at once), when the value expires (if it
        /// does), at its deadline, or when <paramref name="cancellation"/> is cancelled.
        /// </summary>
        public void Arm(KeyWait wait, uint expires, ulong applied, CancellationToken cancellation)
        {
            lock (_lock)
            {
                if (!wait.Waiting)
                {
                    return;
                }

                if (wait.Noticed > applied)
                {
                    Remove(wait);
                    wait.Complete(true);
                    return;
                }

                wait.Expires = expires;
                wait.Since = applied;
                wait.Armed = true;
                SetTimer(DueOf(wait, Now(), _clock.GetUtcNow().ToUnixTimeMilliseconds()));
            }

            if (cancellation.CanBeCanceled)
            {
                CancellationTokenRegistration registration = cancellation.UnsafeRegister(static (state, token) =>
                {
                    var wait = (KeyWait)state!;
                    wait.OwnerCancel(token);
                }, wait);
                lock (_lock)
                {
                    if (wait.Waiting)
                    {
                        wait.Cancellation = registration;
                        return;
                    }
                }

                // It ended before its registration was stored: if the callback runs (or ran) anyway, the
                // object must not serve another wait, which that callback would cancel.
                if (!registration.Unregister())
                {
                    lock (_lock)
                    {
                        wait.Reusable = false;
                    }
                }
            }
        }

        /// <summary>Ends a wait that is still under way with <paramref name="changed"/>.</summary>
        public void End(KeyWait wait, bool changed)
        {
            lock (_lock)
            {
                if (Remove(wait))
                {
                    wait.Complete(changed);
                }
            }
        }

        /// <summary>Its token was cancelled: the wait ends with <see cref="OperationCanceledException"/>.</summary>
        public void Cancel(KeyWait wait, CancellationToken token)
        {
            lock (_lock)
            {
                if (Remove(wait))
                {
                    wait.Fail(new OperationCanceledException(token));
                }
            }
        }

        public void OnKeyChanged(ulong hash, ulong sequence)
        {
            lock (_lock)
            {
                _chains.TryFirst(hash, out KeyWait? wait);
                while (wait is not null)
                {
                    KeyWait? next = wait.Next;
                    if (!wait.Armed)
                    {
                        wait.Noticed = Math.Max(wait.Noticed, sequence);
                    }
                    else if (sequence > wait.Since)
                    {
                        Remove(wait);
                        wait.Complete(true);
                    }

                    wait = next;
                }
            }
        }

        /// <summary>A completed wait's result was taken: it serves the next wait.</summary>
        internal void Recycle(KeyWait wait)
        {
            lock (_lock)
            {
                if (wait.Reusable)
                {
                    _free.Push(wait);
                }
            }
        }

        /// <summary>The store closes: waits under way fail with <see cref="ObjectDisposedException"/>.</summary>
        public void Dispose()
        {
            lock (_lock)
            {
                if (_disposed)
                {
                    return;
                }

                _disposed = true;
                while (_all.Count > 0)
                {
                    KeyWait wait = _all[^1];
                    Remove(wait);
                    wait.Fail(new ObjectDisposedException(nameof(KvStore)));
                }
            }

            _feed.Unregister(_sink);
            _timer?.Dispose();
        }

        /// <summary>Takes a wait out of the chains and the list; false if it had ended already.</summary>
        private bool Remove(KeyWait wait)
        {
            if (!wait.Waiting)
            {
                return false;
            }

            wait.Waiting = false;
            if (wait.Cancellation.Token.CanBeCanceled && !wait.Cancellation.Unregister())
            {
                wait.Reusable = false;
            }

            wait.Cancellation = default;

            KeyWait last = _all[^1];
            _all[wait.Slot] = last;
            last.Slot = wait.Slot;
            _all.RemoveAt(_all.Count - 1);

            _chains.Remove(wait);
            return true;
        }

        private void OnTimer()
        {
            lock (_lock)
            {
                _timerDue = long.MaxValue;
                long now = Now();
                long clockMilliseconds = _clock.GetUtcNow().ToUnixTimeMilliseconds();
                long next = long.MaxValue;
                for (int i = _all.Count - 1; i >= 0; i--)
                {
                    KeyWait wait = _all[i];
                    if (!wait.Armed)
                    {
                        continue; // Arm sets the timer for it
                    }

                    if (wait.Expires != 0 && clockMilliseconds >= wait.Expires * 1000L)
                    {
                        Remove(wait);
                        wait.Complete(true); // expired: absent now
                    }
                    else if (now >= wait.Deadline)
                    {
                        Remove(wait);
                        wait.Complete(false);
                    }
                    else
                    {
                        next = Math.Min(next, DueOf(wait, now, clockMilliseconds));
                    }
                }

                SetTimer(next);
            }
        }

        private static long DueOf(KeyWait wait, long now, long clockMilliseconds)
        {
            if (wait.Expires == 0)
            {
                return wait.Deadline;
            }

            long untilExpiry = Math.Max(ExpiryRecheckMilliseconds, (wait.Expires * 1000L) - clockMilliseconds);
            return Math.Min(wait.Deadline, now + untilExpiry);
        }

        private void SetTimer(long due)
        {
            if (due >= _timerDue || due == long.MaxValue)
            {
                return;
            }

            _timerDue = due;
            _timer ??= _clock.CreateTimer(static state => ((KeyWaiters)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _timer.Change(TimeSpan.FromMilliseconds(Math.Clamp(due - Now(), 0, LongestTimerMilliseconds)), Timeout.InfiniteTimeSpan);
        }

        /// <summary>Milliseconds by the store clock's timestamp, the one its timers run on.</summary>
        private long Now() => (long)((double)_clock.GetTimestamp() * 1000 / _clock.TimestampFrequency);
    }
}
