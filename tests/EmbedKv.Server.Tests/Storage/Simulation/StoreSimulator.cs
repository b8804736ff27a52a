using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Runtime.Interop;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Tests.Storage.FaultInjection;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>
    /// One seed of the deterministic simulation (docs/storage.md, "Simulation"): a real store on a real
    /// directory behind <see cref="FaultInjectingDirectory"/>, with its commit thread and merges run here
    /// on one thread (<see cref="SimulatedSchedule"/>), so the seed alone decides every interleaving of
    /// small puts, streamed uploads, deletes and overwrites of a few hot keys, commit rounds, forced and
    /// automatic merges, failed syncs, full disks, process crashes and power cuts with torn writes. After
    /// every reopen, and at random reads while running, the store is checked against
    /// <see cref="AcknowledgedModel"/>.
    /// </summary>
    internal sealed class StoreSimulator : IDisposable
    {
        private const int MaxIdleRoundsPerMerge = 1000;

        private readonly int _seed;
        private readonly Random _random;
        private readonly TempDirectory _dir = new TempDirectory();
        private readonly AcknowledgedModel _model;
        private readonly SimulatedClock _clock = new SimulatedClock();
        private readonly List<SimulatedUpload> _uploads = new List<SimulatedUpload>();
        private readonly List<SimulatedWatch> _watches = new List<SimulatedWatch>();
        private readonly Queue<string> _trace = new Queue<string>();
        private readonly string[] _keys;
        private readonly StoreOptions _options;
        private readonly int _steps;
        private FaultInjectingDirectory _directory = null!;
        private KvStore _store = null!;
        private int _generation;
        private int _nextId;
        private int _nesting;
        private int _idleRounds;
        private bool _crashed;
        private int _step;
        private SimulationFailedException? _failure;
        private bool _lastCrashWasPowerCut;
        private bool _closing;
        private int _crashCountdown;

        public StoreSimulator(int seed)
        {
            _seed = seed;
            _random = new Random(seed);
            _model = new AcknowledgedModel(() => _clock.GetUtcNow().ToUnixTimeSeconds());
            _keys = Enumerable.Range(0, _random.Next(2, 7)).Select(i => "k" + i).ToArray();
            Durability durability = _random.Next(4) switch
            {
                0 => Durability.Batched(TimeSpan.FromHours(1)), // rounds come from the simulation, not a clock
                1 => Durability.None,
                _ => Durability.Always,
            };
            _options = new StoreOptions
            {
                DataDirectory = _dir.Path,
                Durability = durability,
                SegmentSize = _random.Next(4096, 16384),
                AutomaticCompaction = _random.Next(2) == 0,
                CompactionMinimumDeadBytes = 0,
                CompactionThreshold = 0.05 + (_random.NextDouble() * 0.6),
                Schedule = new SimulatedSchedule(this),
                Clock = _clock,
                DiskFullRetryInterval = TimeSpan.Zero, // a retry that waited for the clock would make runs differ
            };
            _steps = _random.Next(100, 400);
        }

        /// <summary>What the simulation did, for a report.</summary>
        public SimulationFigures Figures { get; } = new SimulationFigures();

        private DurabilityMode Mode => _options.Durability.Mode;

        /// <summary>Runs the seed; throws <see cref="SimulationFailedException"/> with a replay command on a failure.</summary>
        public void Run()
        {
            try
            {
                Open();
                for (_step = 0; _step < _steps; _step++)
                {
                    if (_crashCountdown == 0 && _random.Next(50) == 0)
                    {
                        _crashCountdown = _random.Next(1, 200); // a crash at the N-th file operation from here
                    }

                    Act(TopLevelAction());
                }

                // A last close (which may itself crash) and a check of everything; then a quiet close.
                _directory.Heal(); // a fault still armed would fail the close; faults were tested on the way
                Act("reopen");
                _nesting++;
                _store.Dispose();
            }
            catch (SimulationFailedException)
            {
                throw;
            }
            catch (Exception e)
            {
                throw Failure("unexpected " + e.GetType().Name + ": " + e.Message, e);
            }
        }

        public void Dispose() => _dir.Dispose();

        /// <summary>The store offers a point to interleave at (<see cref="StoreSchedule.Point"/>).</summary>
        public void AtPoint(string name)
        {
            if (_nesting > 0 || _crashed)
            {
                return;
            }

            _nesting++;
            try
            {
                int roll = _random.Next(1000);
                if (roll < 15)
                {
                    Crash("at " + name);
                }

                if (roll < 350 && !_closing)
                {
                    for (int i = _random.Next(1, 3); i > 0; i--)
                    {
                        ClientOperation();
                    }
                }

                if (name.StartsWith("merge.", StringComparison.Ordinal) && !_closing && _random.Next(3) == 0)
                {
                    if (_random.Next(2) == 0)
                    {
                        CommitRound();
                    }
                    else
                    {
                        LoopCommit();
                    }
                }
                else if (name.StartsWith("commit.", StringComparison.Ordinal) && _random.Next(4) == 0 && _store.TryCommitQueuedWrites())
                {
                    // One round at a time: a loop that looks while a round is under way (here, on this very thread) must wait its turn.
                    throw Failure("a loop committed inside a commit round (at " + name + ")", null);
                }
            }
            finally
            {
                _nesting--;
            }
        }

        /// <summary>A merge waits for the commit thread (<see cref="StoreSchedule.Idle"/>): run a round.</summary>
        public void WhileAMergeWaits()
        {
            if (++_idleRounds > MaxIdleRoundsPerMerge)
            {
                throw Failure("a merge waited through " + MaxIdleRoundsPerMerge + " commit rounds for its horizon", null);
            }

            CommitRound();
        }

        private string TopLevelAction()
        {
            int roll = _random.Next(1000);
            return roll switch
            {
                < 450 => "client",
                < 620 => "commit",
                < 700 => "merge",
                < 780 => "read",
                < 795 => "crash",
                < 805 => "reopen",
                < 815 => "sync-fails",
                < 830 => "disk-full",
                < 870 => "tick",
                < 920 => "loop-commit",
                _ => "client",
            };
        }

        private void Act(string action)
        {
            try
            {
                switch (action)
                {
                    case "client":
                        ClientOperation();
                        break;
                    case "commit":
                        CommitRound();
                        break;
                    case "loop-commit":
                        LoopCommit();
                        break;
                    case "merge":
                        Merge();
                        break;
                    case "read":
                        Read(Pick(_keys));
                        break;
                    case "crash":
                        Crash("between operations");
                        break;
                    case "reopen":
                        // Writes the close drains are acknowledged and count; a crash may still strike inside it.
                        Trace("close and reopen");
                        _closing = true;
                        try
                        {
                            _store.Dispose();
                        }
                        finally
                        {
                            _crashed = true;
                            _closing = false;
                        }

                        break;
                    case "tick":
                        // Time moves only here, so every expiry falls between two steps a seed fixes.
                        _clock.Advance(TimeSpan.FromSeconds(_random.Next(1, 4)));
                        Trace("the clock reads " + _clock.GetUtcNow().ToUnixTimeSeconds());
                        break;
                    case "sync-fails":
                        Trace("the next fdatasync fails with EIO");
                        _directory.FailNext("datasync", Sys.EIO);
                        break;
                    case "disk-full":
                        Trace("the next write fails with ENOSPC");
                        _directory.FailNext("write", Sys.ENOSPC);
                        break;
                }
            }
            catch (SimulatedCrash)
            {
                // Handled below: the crash already happened.
            }
            catch (IOException e) when (!_crashed)
            {
                // An injected fault surfaced; the store decides whether it can go on (below).
                ExpectInjected(e);
            }
            catch (Exception) when (_crashed)
            {
                // The dead store's last gasp (EIO from a crashed directory): nothing it does counts.
            }

            // A failure found inside the store's own code (at a point of a merge, say) may have been
            // caught there as an I/O error; it still ends the run.
            if (_failure is not null)
            {
                throw _failure;
            }

            if (!_crashed && _store.WriteFailure is not null && _directory.InjectedFailures == 0)
            {
                throw Failure("the store refuses writes though no fault was injected: " + _store.WriteFailure.Message, _store.WriteFailure);
            }

            if (!_crashed)
            {
                CheckWatches();
            }

            if (_crashed)
            {
                Recover();
            }
            else if (_store.WriteFailure is not null && _random.Next(4) == 0)
            {
                // A failed sync stops writes for good: the operator restarts.
                Trace("restart after: " + _store.WriteFailure.Message);
                StoreModel.DisposeDead(_store);
                _crashed = true;
                Recover();
            }
        }

        private void ClientOperation()
        {
            int roll = _random.Next(100);
            if (roll < 45)
            {
                Put(Pick(_keys));
            }
            else if (roll < 65)
            {
                Delete(Pick(_keys));
            }
            else if (roll < 70)
            {
                Watch(Pick(_keys));
            }
            else if (roll < 78 || _uploads.Count == 0)
            {
                StartUpload(Pick(_keys));
            }
            else
            {
                AdvanceUpload(_uploads[_random.Next(_uploads.Count)]);
            }
        }

        private void Put(string key)
        {
            int id = ++_nextId;
            byte[] value = SimulatedValues.Of(key, id, _random.Next(0, _random.Next(2) == 0 ? 64 : 3000));
            uint expires = PickExpiry();
            AcknowledgedModel.Write write = _model.Sequenced(key, id, value, expires);
            Trace("put " + key + " #" + id + " (" + value.Length + " B" + (expires == 0 ? ")" : ", expires " + expires + ")"));
            Begin(write, completion => _store.BeginPut(Encoding.ASCII.GetBytes(key), value, expires, default, completion, 0));
        }

        /// <summary>A quarter of the values expire a few ticks from now.</summary>
        private uint PickExpiry()
            => _random.Next(4) == 0 ? (uint)(_clock.GetUtcNow().ToUnixTimeSeconds() + _random.Next(1, 8)) : 0;

        private void Delete(string key)
        {
            int id = ++_nextId;
            AcknowledgedModel.Write write = _model.Sequenced(key, id, null);
            Trace("delete " + key + " #" + id);
            Begin(write, completion => _store.BeginDelete(Encoding.ASCII.GetBytes(key), completion, 0));
        }

        private void Begin(AcknowledgedModel.Write write, Action<Completion> start)
        {
            // Half the writers are event loops: their writes wake no commit thread and wait for a loop-commit step.
            var completion = new Completion(this, write, _generation, loop: _random.Next(2) == 0);
            try
            {
                start(completion);
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException && !_crashed)
            {
                ExpectInjected(e);
                write.Failed = true;
            }
        }

        private void StartUpload(string key)
        {
            int id = ++_nextId;
            byte[] value = SimulatedValues.Of(key, id, _random.Next(1, 20_000));
            uint expires = PickExpiry();
            Trace("upload " + key + " #" + id + " begins (" + value.Length + " B" + (expires == 0 ? ")" : ", expires " + expires + ")"));
            try
            {
                _uploads.Add(new SimulatedUpload(key, id, value, expires, _store.BeginUpload(Encoding.ASCII.GetBytes(key), expires)));
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException && !_crashed)
            {
                ExpectInjected(e);
                Trace("upload #" + id + " refused: " + e.Message);
            }
        }

        private void AdvanceUpload(SimulatedUpload upload)
        {
            if (upload.Sent < upload.Value.Length && _random.Next(30) == 0)
            {
                Trace("upload #" + upload.Id + " aborted");
                _uploads.Remove(upload);
                upload.Handle.Abort();
                return;
            }

            if (upload.Sent < upload.Value.Length)
            {
                int chunk = Math.Min(upload.Value.Length - upload.Sent, _random.Next(1, 8000));
                try
                {
                    if (!upload.Handle.Append(upload.Value.AsSpan(upload.Sent, chunk)))
                    {
                        throw Failure("upload #" + upload.Id + " refused a chunk within the value limit", null);
                    }

                    upload.Sent += chunk;
                }
                catch (IOException e) when (!_crashed)
                {
                    ExpectInjected(e);
                    Trace("upload #" + upload.Id + " failed: " + e.Message);
                    _uploads.Remove(upload);
                    upload.Handle.Abort();
                }

                return;
            }

            _uploads.Remove(upload);
            AcknowledgedModel.Write write = _model.Sequenced(upload.Key, upload.Id, upload.Value, upload.Expires);
            Trace("upload " + upload.Key + " #" + upload.Id + " completes");
            Begin(write, completion => upload.Handle.Complete(completion, 0));
        }

        /// <summary>
        /// An in-process wait for a change of <paramref name="key"/> from the version read now. The store's
        /// "wait.watching" point lets writes and commit rounds run between its first look and its
        /// registration, the window a lost wake-up would fall into (checked by <see cref="CheckWatches"/>).
        /// </summary>
        private void Watch(string key)
        {
            byte[] bytes = Encoding.ASCII.GetBytes(key);
            ulong version = _store.TryGetInfo(bytes, out ValueInfo info) ? info.Version : 0;
            Trace("watch " + key + " from version " + version);
            uint expires = info.Expires is { } at ? (uint)at.ToUnixTimeSeconds() : 0;
            var watch = new SimulatedWatch(key, version, expires, _generation, _store.WaitForChangeAsync(bytes, version, System.Threading.Timeout.InfiniteTimeSpan));
            _watches.Add(watch);
            Figures.Watches++;
        }

        /// <summary>
        /// Every wait on a key whose version differs from the one it started from has completed, saying it
        /// changed; none completed while its key stayed at a version (a version never comes back, except 0,
        /// absent, after a write and a delete). An expiry is heard by a timer on real time, so a key that only
        /// expired is not required to have woken its wait yet.
        /// </summary>
        private void CheckWatches()
        {
            for (int i = _watches.Count - 1; i >= 0; i--)
            {
                SimulatedWatch watch = _watches[i];
                if (watch.Generation != _generation)
                {
                    _watches.RemoveAt(i); // the store it waited on was closed or crashed
                    continue;
                }

                ulong now = _store.TryGetInfo(Encoding.ASCII.GetBytes(watch.Key), out ValueInfo info) ? info.Version : 0;
                bool onlyExpired = now == 0 && watch.Expires != 0 && watch.Expires <= _clock.GetUtcNow().ToUnixTimeSeconds();
                if (watch.Pending.IsCompleted)
                {
                    bool changed = watch.Pending.Result;
                    if (!changed || (now == watch.Version && watch.Version != 0))
                    {
                        throw Failure("a wait on " + watch.Key + " from version " + watch.Version + " ended " + (changed ? "saying it changed" : "unchanged") + " while the key is at " + now, null);
                    }

                    _watches.RemoveAt(i);
                }
                else if (now != watch.Version && !onlyExpired)
                {
                    throw Failure("a wait on " + watch.Key + " from version " + watch.Version + " is still waiting though the key is at " + now + " (a lost wake-up)", null);
                }
            }
        }

        private void CommitRound()
        {
            Trace("commit round");
            _store.RunCommitRound();
        }

        /// <summary>
        /// What an event loop does before it sleeps: commits the writes it queued on its own thread (nothing
        /// else runs a round here, so it must get its turn), or, half the time, hands them to the commit thread,
        /// which is a later "commit" step.
        /// </summary>
        private void LoopCommit()
        {
            if (!_store.HasWritesToCommitHere || _random.Next(2) == 0)
            {
                Trace("loop hands over");
                _store.HandOverQueuedWrites();
                return;
            }

            Trace("loop commits");
            if (!_store.TryCommitQueuedWrites())
            {
                throw Failure("a loop found a commit round under way though none was", null);
            }
        }

        private void Merge()
        {
            bool forced = !_options.AutomaticCompaction || _random.Next(2) == 0;
            Trace(forced ? "merge (forced)" : "merge (if due)");
            _idleRounds = 0;
            long before = _store.Compactions;
            if (forced)
            {
                _store.Compact();
            }
            else
            {
                if (!_store.RunMergeIfDue() && !_crashed && _directory.InjectedFailures == 0)
                {
                    throw Failure("a merge failed though no fault was injected (the store logged why)", null);
                }
            }

            Figures.Merges += _store.Compactions - before;
        }

        private void Read(string key)
        {
            byte[]? actual = _store.Get(Encoding.ASCII.GetBytes(key));
            Trace("read " + key + " → " + SimulatedValues.Describe(actual));
            Figures.Reads++;
            if (!_model.IsAllowed(key, actual, out string allowed))
            {
                throw Failure("read " + key + " returned " + SimulatedValues.Describe(actual) + "; allowed: " + allowed, null);
            }
        }

        private void Crash(string where)
        {
            bool powerCut = Mode == DurabilityMode.Always && _random.Next(2) == 0;
            Trace((powerCut ? "power cut " : "process crash ") + where);
            Figures.Crashes++;
            _crashed = true;
            _lastCrashWasPowerCut = powerCut;
            if (powerCut)
            {
                // Unsynced data: all lost, a random part kept (a torn write), or that part with a random half
                // of its 4 KiB pages zeroed (pages reach the disk in any order).
                int kind = _random.Next(3);
                _directory.Crash(kind == 0 ? null : _random, kind == 2 ? _random : null);
            }
            else
            {
                _directory.CrashProcess();
            }

            throw new SimulatedCrash();
        }

        /// <summary>After a crash or restart: reopen, then every key must hold an allowed value, which becomes known.</summary>
        private void Recover()
        {
            StoreModel.DisposeDead(_store);
            _uploads.Clear();
            Open();
            foreach (string key in _keys)
            {
                byte[]? actual = _store.Get(Encoding.ASCII.GetBytes(key));
                if (!_model.IsAllowed(key, actual, out string allowed))
                {
                    throw Failure("after reopening, " + key + " holds " + SimulatedValues.Describe(actual) + "; allowed: " + allowed, null);
                }

                _model.Settle(key, actual);
            }

            int present = _keys.Count(key => _store.Contains(Encoding.ASCII.GetBytes(key)));
            if (_store.Count != present)
            {
                throw Failure("after reopening the store counts " + _store.Count + " keys, not " + present, null);
            }

            string[] leftovers = StoreModel.Leftovers(_dir.Path);
            if (leftovers.Length > 0)
            {
                throw Failure("after reopening, leftovers remain: " + string.Join(", ", leftovers), null);
            }
        }

        private void Open()
        {
            // Sometimes the power goes (or the process dies) again while the store is recovering: opening
            // must be idempotent, whatever step it was cut at.
            if (_crashCountdown == 0 && _random.Next(10) == 0)
            {
                _crashCountdown = _random.Next(1, 60);
            }

            while (true)
            {
                _generation++;
                _crashed = false;

                // After anything but a power cut the page cache survives, and with it whatever the last process
                // wrote but never synced: a later power cut may still take that, unless the new store syncs it.
                _directory = _lastCrashWasPowerCut || _generation == 1
                    ? new FaultInjectingDirectory(_dir.Path) { RealSyncs = false }
                    : new FaultInjectingDirectory(_dir.Path, _directory.SyncedLengths()) { RealSyncs = false };
                _directory.OnCall = CrashAtCountdown;
                _lastCrashWasPowerCut = false;
                try
                {
                    _store = KvStore.Open(_options, _directory);
                    _crashCountdown = 0; // the check that follows an open is the test's, not the store's
                    break;
                }
                catch (Exception) when (_crashed)
                {
                    // Cut off mid-recovery: open again from what the crash left.
                }
                catch (Exception e)
                {
                    throw Failure("the store did not open: " + e.GetType().Name + ": " + e.Message, e);
                }
            }

            Figures.Opens++;
            Trace("open (generation " + _generation + ")");
        }

        /// <summary>Every file operation counts down to an armed crash (<see cref="FaultInjectingDirectory.OnCall"/>).</summary>
        private void CrashAtCountdown(string operation, string name)
        {
            if (_crashCountdown > 0 && --_crashCountdown == 0)
            {
                Crash("at " + operation + " " + name);
            }
        }

        /// <summary>An I/O error is a finding unless a fault was injected into this store's directory.</summary>
        private void ExpectInjected(Exception e)
        {
            if (_directory.InjectedFailures == 0)
            {
                throw Failure("an I/O error though no fault was injected: " + e.GetType().Name + ": " + e.Message, e);
            }
        }

        private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

        private void Trace(string line)
        {
            _trace.Enqueue(_step + ": " + line);
            if (_trace.Count > 60)
            {
                _trace.Dequeue();
            }
        }

        private SimulationFailedException Failure(string what, Exception? inner)
        {
            string message = "seed " + _seed + " (" + _options.Durability + ", segments of " + _options.SegmentSize + " B, "
                + (_options.AutomaticCompaction ? "automatic" : "forced") + " merges), step " + _step + ": " + what
                + "\nreplay: " + SimulationFailedException.ReplayCommand(_seed)
                + "\nlast steps:\n  " + string.Join("\n  ", _trace);
            return _failure ??= new SimulationFailedException(message, inner);
        }

        /// <summary>Hears one write's outcome; a dead store's late answers reach no client, so they do not count.</summary>
        private sealed class Completion : IWriteCompletion
        {
            private readonly StoreSimulator _simulator;
            private readonly AcknowledgedModel.Write _write;
            private readonly int _generation;

            public Completion(StoreSimulator simulator, AcknowledgedModel.Write write, int generation, bool loop)
            {
                _simulator = simulator;
                _write = write;
                _generation = generation;
                CommitsBeforeSleep = loop;
            }

            public bool CommitsBeforeSleep { get; }

            public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
            {
                if (_generation != _simulator._generation || _simulator._crashed)
                {
                    return;
                }

                switch (outcome)
                {
                    case WriteOutcome.Failed:
                    case WriteOutcome.DiskFull:
                        _write.Failed = true;
                        break;
                    case WriteOutcome.NotFound:
                        // The store held no such key, so it wrote nothing: that must have been allowed.
                        _simulator._model.Withdraw(_write);
                        if (!_simulator._model.IsAllowed(_write.Key, null, out string allowed))
                        {
                            throw _simulator.Failure("delete #" + _write.Id + " found no " + _write.Key + "; allowed: " + allowed, null);
                        }

                        break;
                    default:
                        _write.Acknowledged = true;
                        _simulator.Figures.Acknowledged++;
                        break;
                }

                _simulator.Trace("  " + _write + " → " + outcome);
            }
        }
    }
}
