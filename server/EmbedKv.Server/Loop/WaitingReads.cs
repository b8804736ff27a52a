using System;
using System.Collections.Generic;
using EmbedKv.Server.Storage.Watch;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// One event loop's long-polls: each waiting read is chained under its key's hash, so a change the
    /// store reports (through <see cref="LoopKeyChanges"/>) wakes the waits on that key only, and sits in a
    /// binary heap by when it is due (the end of its wait, or its value's expiry), which sets how long the
    /// loop may sleep. A woken wait leaves both and is answered by its connection on the loop's next step.
    /// The loop tells the store's feed of the first wait on a hash and of the last; everything else is
    /// local to the loop's thread, so nothing here is locked.
    /// </summary>
    internal sealed class WaitingReads : IDisposable
    {
        private readonly KeyChangeFeed _feed;
        private readonly int _sink;
        private readonly WatchChains<WaitingRead> _chains;
        private readonly Stack<WaitingRead> _free = new Stack<WaitingRead>();
        private WaitingRead[] _heap = new WaitingRead[64];
        private int _heapCount;

        // Woken waits to answer, in the order they woke.
        private readonly Queue<WaitingRead> _woken = new Queue<WaitingRead>();

        public WaitingReads(KeyChangeFeed feed, IKeyChangeSink sink)
        {
            _feed = feed;
            _sink = feed.Register(sink);
            _chains = new WatchChains<WaitingRead>(feed, _sink);
        }

        /// <summary>Waits under way (waiting or woken).</summary>
        public int Count { get; private set; }

        /// <summary>Records made so far: as many as ever waited at once (read by tests).</summary>
        public int Created { get; private set; }

        /// <summary>Monotonic milliseconds when the next wait is due, or <see cref="long.MaxValue"/>.</summary>
        public long NextDue => _heapCount > 0 ? _heap[0].Due : long.MaxValue;

        public bool HasWoken => _woken.Count > 0;

        /// <summary>A record for a handler to fill (<see cref="WaitingRead.Read"/>), then <see cref="Add"/>.</summary>
        public WaitingRead Rent()
        {
            if (!_free.TryPop(out WaitingRead? wait))
            {
                wait = new WaitingRead();
                Created++;
            }

            return wait;
        }

        /// <summary>Starts waiting: until <paramref name="ends"/>, or <paramref name="due"/> if sooner (an expiry), or a change of its key.</summary>
        public void Add(WaitingRead wait, SocketConnection connection, long ends, long due)
        {
            wait.Connection = connection;
            wait.AnswerNow = false;
            wait.Ends = ends;
            Count++;
            Enter(wait, Math.Min(due, ends));
        }

        /// <summary>Due again at <paramref name="due"/> (a value not yet expired by the store's clock when the heap said so).</summary>
        public void Requeue(WaitingRead wait, long due) => Enter(wait, Math.Min(due, wait.Ends));

        /// <summary>Takes back a <see cref="Requeue"/>: the wait is answered now after all.</summary>
        public void Unqueue(WaitingRead wait)
        {
            Leave(wait);
            wait.State = WaitState.Free;
        }

        /// <summary>Its connection closed: the wait ends unanswered.</summary>
        public void Cancel(WaitingRead wait)
        {
            switch (wait.State)
            {
                case WaitState.Waiting:
                    Leave(wait);
                    Count--;
                    Return(wait);
                    break;
                case WaitState.Woken:
                    // On the woken list: it goes back to the pool when the list reaches it.
                    wait.Connection = null;
                    break;
                default:
                    // Rented but never added (the handler failed before it parked).
                    Return(wait);
                    break;
            }
        }

        /// <summary>The wait was answered, or taken back before it started: the record goes back to the pool.</summary>
        public void Finish(WaitingRead wait)
        {
            wait.Connection = null;
            Count--;
            Return(wait);
        }

        /// <summary>
        /// The store reported the write of <paramref name="sequence"/> to a key of <paramref name="hash"/>: its
        /// waits are woken, but for those that looked at the key after that write (it is what they saw).
        /// </summary>
        public void Changed(ulong hash, ulong sequence)
        {
            _chains.TryFirst(hash, out WaitingRead? wait);
            while (wait is not null)
            {
                WaitingRead? next = wait.Next;
                if (sequence > wait.Read.Since)
                {
                    Wake(wait, answerNow: true);
                }

                wait = next;
            }
        }

        /// <summary>Wakes one wait now, as if its key changed (it did, before the wait was watched).</summary>
        public void Wake(WaitingRead wait) => Wake(wait, answerNow: true);

        /// <summary>Wakes the waits due by <paramref name="now"/>.</summary>
        public void WakeDue(long now)
        {
            while (_heapCount > 0 && _heap[0].Due <= now)
            {
                Wake(_heap[0], answerNow: false);
            }
        }

        /// <summary>Wakes every wait (the server is stopping: each is answered as it stands).</summary>
        public void WakeAll()
        {
            while (_heapCount > 0)
            {
                Wake(_heap[0], answerNow: true);
            }
        }

        /// <summary>
        /// Hands up to <paramref name="budget"/> woken waits to <paramref name="answer"/>, in the order they woke
        /// (a wait parked while these are answered is not among them); those whose connection closed
        /// meanwhile go back to the pool. The loop answers the rest on its next turns: a PUT that woke 10,000
        /// waits of one key took 0.3 s to answer them, and the PUT's own answer, queued behind, waited as long.
        /// </summary>
        public void AnswerWoken(long now, Action<SocketConnection, WaitingRead, long> answer, int budget)
        {
            for (int n = Math.Min(budget, _woken.Count); n > 0; n--)
            {
                WaitingRead wait = _woken.Dequeue();
                wait.State = WaitState.Free;
                if (wait.Connection is { } connection)
                {
                    answer(connection, wait, now);
                }
                else
                {
                    Count--;
                    Return(wait);
                }
            }
        }

        public void Dispose() => _feed.Unregister(_sink);

        private void Wake(WaitingRead wait, bool answerNow)
        {
            Leave(wait);
            wait.AnswerNow = answerNow;
            wait.State = WaitState.Woken;
            _woken.Enqueue(wait);
        }

        private void Return(WaitingRead wait)
        {
            wait.State = WaitState.Free;
            _free.Push(wait);
        }

        /// <summary>Onto its key's chain (the first on a hash tells the store's feed) and into the heap.</summary>
        private void Enter(WaitingRead wait, long due)
        {
            wait.State = WaitState.Waiting;
            _chains.Add(wait);

            wait.Due = due;
            if (_heapCount == _heap.Length)
            {
                Array.Resize(ref _heap, _heap.Length * 2);
            }

            _heap[_heapCount] = wait;
            wait.HeapIndex = _heapCount++;
            Up(wait.HeapIndex);
        }

        /// <summary>Off its chain (the last on a hash tells the store's feed) and out of the heap.</summary>
        private void Leave(WaitingRead wait)
        {
            _chains.Remove(wait);

            int index = wait.HeapIndex;
            wait.HeapIndex = -1;
            WaitingRead last = _heap[--_heapCount];
            _heap[_heapCount] = null!;
            if (index < _heapCount)
            {
                _heap[index] = last;
                last.HeapIndex = index;
                Down(index);
                Up(last.HeapIndex);
            }
        }

        private void Up(int index)
        {
            WaitingRead item = _heap[index];
            while (index > 0)
            {
                int parent = (index - 1) / 2;
                if (_heap[parent].Due <= item.Due)
                {
                    break;
                }

                Place(_heap[parent], index);
                index = parent;
            }

            Place(item, index);
        }

        private void Down(int index)
        {
            WaitingRead item = _heap[index];
            while (true)
            {
                int child = (2 * index) + 1;
                if (child >= _heapCount)
                {
                    break;
                }

                if (child + 1 < _heapCount && _heap[child + 1].Due < _heap[child].Due)
                {
                    child++;
                }

                if (item.Due <= _heap[child].Due)
                {
                    break;
                }

                Place(_heap[child], index);
                index = child;
            }

            Place(item, index);
        }

        private void Place(WaitingRead item, int index)
        {
            _heap[index] = item;
            item.HeapIndex = index;
        }
    }
}
