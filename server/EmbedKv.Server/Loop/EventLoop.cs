using System;
using System.Collections.Generic;
using System.Threading;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Events;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Net;
using EmbedKv.Server.Http;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// One worker thread, in the manner of Redis's ae.c: sleep in epoll_pwait, then handle what is ready —
    /// new connections on the listener, readable or writable connections, the eventfd that says the
    /// store finished writes or the server is stopping — and once a second, close connections whose
    /// deadline passed. Connections are registered edge-triggered for both directions once, so no
    /// epoll_ctl is needed per request; the price is that a connection must read and write until EAGAIN.
    /// </summary>
    internal sealed class EventLoop : IDisposable
    {
        private const ulong WakeTag = ulong.MaxValue;

        // Listener i is tagged FirstListenerTag - i: far above any connection's slot.
        private const ulong FirstListenerTag = ulong.MaxValue - 1;
        private const ulong LastListenerTag = ulong.MaxValue - 16;
        private const int TimerMilliseconds = 1000;

        // Woken long-polls answered per turn of the loop; the rest wait for the next turns, so other
        // connections and write completions are served in between (about 2 ms of answers on this VM).
        private const int WokenWaitsPerTurn = 128;

        private readonly LoopContext _context;
        private readonly Epoll _epoll;
        private readonly EventFd _wake;
        private readonly LoopListener[] _listeners;
        private readonly Thread _thread;
        private readonly List<SocketConnection> _connections = new List<SocketConnection>();
        private readonly Stack<int> _freeSlots = new Stack<int>();
        private readonly EpollEvent[] _events = new EpollEvent[256];
        private readonly SharedCounter _open;
        private readonly int _maxConnections;

        // Connections that stopped on their turn's budget with work left, in the order they yielded, and
        // the list being driven now (two lists, swapped, so a connection that yields again waits a turn).
        private List<SocketConnection> _yielded = new List<SocketConnection>();
        private List<SocketConnection> _driving = new List<SocketConnection>();
        private volatile bool _stopping;
        private long _stopDeadline;
        private long _nextTimer;
        private bool _listening = true;

        // Answers a woken long-poll (a field, so handing it to WaitingReads allocates nothing).
        private readonly Action<SocketConnection, WaitingRead, long> _answerWait;

        public EventLoop(int index, KvStore? store, KvServerOptions options, IReadOnlyList<(FileDescriptor Socket, bool Shared)> listeners, SharedCounter open, int maxConnections, DescriptorShortage shortage, RequestStats stats, Kv.Access.AccessGuard guard, Kv.Remote.BackendHealth? backendHealth)
        {
            _open = open;
            _maxConnections = maxConnections;
            _epoll = Epoll.Create();
            _wake = EventFd.Create();
            _context = new LoopContext(store, options, new LoopCompletions(_wake), new LoopKeyChanges(_wake), stats, guard, backendHealth);
            _answerWait = AnswerWait;
            _listeners = new LoopListener[listeners.Count];
            for (int i = 0; i < listeners.Count; i++)
            {
                _listeners[i] = new LoopListener(_epoll, listeners[i].Socket, listeners[i].Shared, FirstListenerTag - (ulong)i, shortage);
            }

            Syscall.Check(_epoll.Add(_wake.Descriptor, Sys.EPOLLIN, WakeTag), "epoll_ctl", "eventfd");
            _thread = new Thread(Run) { IsBackground = true, Name = "EmbedKv loop " + index };
        }

        /// <summary>This loop's pool of exchanges (see <see cref="ExchangeParts"/>); its figures are for tests.</summary>
        internal ExchangeParts.Pool Parts => _context.Parts;

        /// <summary>This loop's long-polls; its figures are for tests.</summary>
        internal WaitingReads Waits => _context.Waits;

        public void Start() => _thread.Start();

        /// <summary>Stops accepting; finishes requests in flight until <paramref name="deadline"/> (monotonic ms), then closes all.</summary>
        public void BeginStop(long deadline)
        {
            Interlocked.Exchange(ref _stopDeadline, deadline);
            _stopping = true;
            _wake.Signal();
        }

        public bool Join(TimeSpan timeout) => _thread.Join(timeout);

        public void Dispose()
        {
            _context.Completions.Close();
            _epoll.Dispose();
            _wake.Dispose();
            foreach (LoopListener listener in _listeners)
            {
                listener.Dispose();
            }

            _context.Waits.Dispose();
            _context.Buffers.Dispose();
            _context.Pages.Dispose();
        }

        private void Run()
        {
            _context.Completions.BindToCurrentThread();
            _context.KeyChanges.BindToCurrentThread();
            try
            {
                while (true)
                {
                    long now = Environment.TickCount64;
                    if (_stopping && StopStep(now))
                    {
                        return;
                    }

                    bool moreToDo = !_context.Completions.IsEmpty || !_context.KeyChanges.IsEmpty || _context.Waits.HasWoken || _yielded.Count > 0;
                    int ready = WaitForEvents(moreToDo ? 0 : SleepMilliseconds(now));
                    now = Environment.TickCount64;
                    for (int i = 0; i < ready; i++)
                    {
                        Dispatch(_events[i], now);
                    }

                    DeliverCompletions(now);
                    WakeWaits(now);
                    DriveYielded(now);
                    if (now >= _nextTimer)
                    {
                        _nextTimer = now + TimerMilliseconds;
                        ExpireDeadlines(now);
                    }

                    foreach (LoopListener listener in _listeners)
                    {
                        if (_listening && listener.Gate.TryResume(now))
                        {
                            Accept(listener, now);
                        }
                    }
                }
            }
            finally
            {
                foreach (SocketConnection connection in _connections)
                {
                    try
                    {
                        connection.Close();
                    }
                    catch (Exception e)
                    {
                        Fault(connection, e);
                    }

                    Retire(connection);
                }
            }
        }

        /// <summary>
        /// epoll_pwait, after seeing to the durable writes this loop queued (they wake no thread as they queue,
        /// so a turn's writes go to the commit thread together). Normally the loop hands them to the commit
        /// thread, whose sync then overlaps the loop's work. With <see cref="KvServerOptions.CommitOnEventLoop"/>
        /// and nothing else to do, the loop syncs them itself, as Redis does before it sleeps: no thread to wake,
        /// and the answers leave right after the sync in one burst, but the loop's other connections wait out the
        /// sync. Either way no write waits for a loop that is asleep.
        /// </summary>
        private int WaitForEvents(int timeout)
        {
            if (_context.Store is { HasWritesToCommitHere: true } store)
            {
                if (timeout != 0 && _context.Options.CommitOnEventLoop && store.TryCommitQueuedWrites())
                {
                    // The answers are queued for this turn. Poll without sleeping rather than not at all: an
                    // idle loop that found more writes queued on its next turn would otherwise sync round after
                    // round and leave its own sockets unread meanwhile.
                    return _epoll.Wait(_events, 0);
                }

                store.HandOverQueuedWrites();
            }

            return _epoll.Wait(_events, timeout);
        }

        private void Dispatch(in EpollEvent ready, long now)
        {
            switch (ready.Data)
            {
                case WakeTag:
                    _wake.Drain();
                    break;
                case >= LastListenerTag:
                    Accept(_listeners[(int)(FirstListenerTag - ready.Data)], now);
                    break;
                default:
                    SocketConnection connection = _connections[(int)ready.Data];
                    if (connection.IsOpen)
                    {
                        Drive(connection, now, ready.Events);
                        AfterDrive(connection);
                    }

                    break;
            }
        }

        private void Accept(LoopListener listener, long now)
        {
            AcceptGate gate = listener.Gate;
            while (_listening && gate.IsOpen)
            {
                int fd = SocketOps.Accept(listener.Socket.Value);
                if (fd < 0)
                {
                    if (AcceptGate.IsShortage(fd))
                    {
                        RefuseWhileShort(listener, fd, now);
                    }
                    else
                    {
                        // EAGAIN: drained (another loop may have taken it). ECONNABORTED and the like: epoll
                        // reports what is left. Either way accept had a descriptor to offer.
                        gate.Recovered(now);
                    }

                    return;
                }

                gate.Recovered(now);
                if (!_open.TryIncrement(_maxConnections))
                {
                    RefuseBusy(fd);
                    continue;
                }

                // TCP_NODELAY comes from the listener: Linux copies it to accepted sockets.
                SocketConnection connection = TakeSlot();
                connection.Open(fd, now);

                // The request usually arrives with the connection: serve what is there first, and only
                // register with epoll if the connection must wait. A short request with Connection: close
                // is then answered and closed without any epoll_ctl. Registering edge-triggered after an
                // EAGAIN loses nothing: epoll checks readiness when the descriptor is added.
                Drive(connection, now, events: 0);
                if (connection.IsOpen
                    && _epoll.Add(fd, Sys.EPOLLIN | Sys.EPOLLOUT | Sys.EPOLLRDHUP | Sys.EPOLLET, (ulong)connection.Slot) < 0)
                {
                    connection.Close();
                }

                AfterDrive(connection);
            }
        }

        /// <summary>
        /// Accept failed for want of descriptors or kernel memory and left the client queued: retrying at
        /// once would spin (see <see cref="AcceptGate"/>). Answer the waiting clients 503, each on the number
        /// the reserve descriptor gives up and gets back as the client is closed, then back off.
        /// </summary>
        private void RefuseWhileShort(LoopListener listener, int error, long now)
        {
            AcceptGate gate = listener.Gate;
            if (gate.ReleaseReserve(error))
            {
                for (int i = 0; i < AcceptGate.MostRefusedAtOnce; i++)
                {
                    int fd = SocketOps.Accept(listener.Socket.Value);
                    if (fd < 0)
                    {
                        break;
                    }

                    RefuseBusy(fd);
                    gate.Refused();
                }

                gate.RetakeReserve();
            }

            gate.Pause(error, now);
        }

        /// <summary>
        /// Past the connection cap: a prebuilt 503 and close (RFC 9110 §15.6.4), with Retry-After: 1
        /// (§10.2.3), so a client that honours it comes back once a second rather than at once.
        /// </summary>
        private void RefuseBusy(int fd)
        {
            Rejection busy = Rejections.For(RejectReason.ServerBusy);
            Span<byte> response = stackalloc byte[512];
            int length = ResponseWriter.Text(response, busy.Status, busy.Body, close: true, http10KeepAlive: false, _context.Exchange.Date, busy.ExtraHeaders);
            nint sent = SocketOps.Send(fd, response.Slice(0, length));
            SocketOps.Close(fd);
            _context.Exchange.Stats.Answered(HttpMethod.Other, busy.Status, 0);
            _context.Exchange.Stats.Sent(Math.Max(0, (long)sent));
        }

        private void DeliverCompletions(long now)
        {
            foreach ((ulong token, WriteOutcome outcome, ulong version) in _context.Completions.Drain())
            {
                SocketConnection connection = _connections[(int)(uint)token];
                if (connection.IsOpen && connection.Token == token)
                {
                    try
                    {
                        connection.OnStored(outcome, version, now);
                    }
                    catch (Exception e)
                    {
                        Fault(connection, e);
                    }

                    AfterDrive(connection);
                }
            }
        }

        /// <summary>How long epoll may sleep: until the next second's deadline check, the accept gate's retry, or the next wait due.</summary>
        private int SleepMilliseconds(long now)
        {
            int sleep = TimerMilliseconds;
            foreach (LoopListener listener in _listeners)
            {
                sleep = listener.Gate.WaitMilliseconds(now, sleep);
            }

            long untilWait = _context.Waits.NextDue - now;
            return untilWait < sleep ? (int)Math.Max(0, untilWait) : sleep;
        }

        /// <summary>
        /// Long-polls: the keys the store reported changed wake their waits, as do the waits whose time came;
        /// each woken wait is answered by its connection (see <see cref="WaitingReads"/>).
        /// </summary>
        private void WakeWaits(long now)
        {
            foreach ((ulong hash, ulong sequence) in _context.KeyChanges.Drain())
            {
                _context.Waits.Changed(hash, sequence);
            }

            _context.Waits.WakeDue(now);
            if (_context.Waits.HasWoken)
            {
                _context.Waits.AnswerWoken(now, _answerWait, WokenWaitsPerTurn);
            }
        }

        private void AnswerWait(SocketConnection connection, WaitingRead wait, long now)
        {
            try
            {
                connection.AnswerWait(wait, now);
            }
            catch (Exception e)
            {
                Fault(connection, e);
            }

            AfterDrive(connection);
        }

        private void ExpireDeadlines(long now)
        {
            foreach (SocketConnection connection in _connections)
            {
                try
                {
                    connection.CloseIfExpired(now);
                }
                catch (Exception e)
                {
                    Fault(connection, e);
                }

                Retire(connection);
            }
        }

        /// <summary>
        /// Serving one connection threw. Garnet catches per session and nginx per request for the same
        /// reason: one client's trouble (or a bug it reaches) must cost that client only. The connection is
        /// closed, with a 500 if none of its answer went out; the fault is logged and counted; the loop and
        /// every other connection go on. The store guards itself: a write it could not finish either was
        /// cut back or failed the store into refusing writes.
        /// </summary>
        private void Fault(SocketConnection connection, Exception fault)
        {
            _context.Exchange.Stats.Faulted();
            string told;
            try
            {
                told = connection.Abandon();
            }
            catch (Exception again)
            {
                told = "closing it failed too: " + again.Message;
            }

            LoopLog.ConnectionFaulted(_context.Options.Logger, told, fault);
        }

        /// <summary>Drives one connection; a fault costs that connection only (see <see cref="Fault"/>).</summary>
        private void Drive(SocketConnection connection, long now, uint events)
        {
            try
            {
                connection.Drive(now, events);
            }
            catch (Exception e)
            {
                Fault(connection, e);
            }
        }

        /// <summary>After a connection was driven: queues it for another turn if it yielded, or frees its slot if it closed.</summary>
        private void AfterDrive(SocketConnection connection)
        {
            if (connection.IsOpen && connection.Yielded && !connection.AwaitsTurn)
            {
                connection.AwaitsTurn = true;
                _yielded.Add(connection);
            }

            Retire(connection);
        }

        /// <summary>
        /// Drives the connections that yielded, once each, after every other ready connection had its turn:
        /// one busy client gets a fair share of the loop, not all of it (a 1 GiB upload read until its socket
        /// ran dry kept small GETs on the same loop waiting for seconds).
        /// </summary>
        private void DriveYielded(long now)
        {
            if (_yielded.Count == 0)
            {
                return;
            }

            (_yielded, _driving) = (_driving, _yielded);
            foreach (SocketConnection connection in _driving)
            {
                connection.AwaitsTurn = false;
                if (!connection.IsOpen)
                {
                    continue;
                }

                Drive(connection, now, events: 0);
                AfterDrive(connection);
            }

            _driving.Clear();
        }

        /// <summary>Returns the slot of a connection that closed.</summary>
        private void Retire(SocketConnection connection)
        {
            if (!connection.IsOpen && !connection.Retired)
            {
                connection.Retired = true;
                _freeSlots.Push(connection.Slot);
                _open.Decrement();
            }
        }

        private SocketConnection TakeSlot()
        {
            if (_freeSlots.Count > 0)
            {
                SocketConnection reused = _connections[_freeSlots.Pop()];
                reused.Retired = false;
                return reused;
            }

            var connection = new SocketConnection(_context, _connections.Count);
            _connections.Add(connection);
            return connection;
        }

        /// <summary>One step of stopping; true when the loop may exit.</summary>
        private bool StopStep(long now)
        {
            _context.Exchange.Stopping = true;
            if (_listening)
            {
                _listening = false;
                foreach (LoopListener listener in _listeners)
                {
                    _epoll.Remove(listener.Socket.Value);

                    // Out of LISTEN at once (Linux: shutdown(SHUT_RD) on a listening socket disconnects it), so
                    // clients arriving during the grace period are refused instead of waiting in the accept
                    // queue until the socket closes and resets them. A shared listener's second shutdown fails
                    // harmlessly.
                    SocketOps.Shutdown(listener.Socket.Value, Sys.SHUT_RD);
                }
            }

            // Waiting requests are answered now, as their keys stand, rather than hold the stop up to 300 s.
            _context.RemoteWaits.EndAll();
            _context.Waits.WakeAll();
            if (_context.Waits.HasWoken)
            {
                _context.Waits.AnswerWoken(now, _answerWait, WokenWaitsPerTurn);
            }

            bool busy = false;
            foreach (SocketConnection connection in _connections)
            {
                connection.CloseIfIdle();
                Retire(connection);
                busy |= connection.IsOpen;
            }

            return !busy || now >= Interlocked.Read(ref _stopDeadline);
        }
    }
}
