using System;
using System.Collections.Generic;
using System.Threading;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>
    /// Commit rounds, one at a time, on the commit thread or on an event loop about to sleep
    /// (<see cref="TryCommitHere"/>). A round takes every write queued since the last one, makes them durable
    /// with one <c>fdatasync</c> per touched segment (and one directory sync if a segment is new), then makes
    /// them visible in the index and completes them, so N concurrent writers share one sync — what Redis
    /// does for <c>appendfsync always</c> in its before-sleep hook. Under Batched durability the thread
    /// also syncs whatever was written, once per interval. A failed sync is never retried (fsyncgate):
    /// the log is failed and every queued write completes as <see cref="WriteOutcome.Failed"/>.
    /// </summary>
    internal sealed class GroupCommitter
    {
        private readonly WriteLog _log;
        private readonly Thread _thread;
        private readonly List<Segment> _touched = new List<Segment>();
        private readonly Action? _afterRound;
        private readonly StoreSchedule _schedule;

        // One round at a time: the commit thread's, or one an event loop runs before it sleeps.
        private readonly object _round = new object();
        private long _batches;
        private long _writes;
        private long _rounds;
        private long _roundsHere;

        public GroupCommitter(WriteLog log, Action? afterRound)
        {
            _log = log;
            _afterRound = afterRound;
            _schedule = log.Options.Schedule;
            _thread = new Thread(Run) { IsBackground = true, Name = "EmbedKv commit" };
            if (_schedule.StartsThreads)
            {
                _thread.Start();
            }
        }

        /// <summary>Sync rounds that covered at least one write.</summary>
        public long Batches => Interlocked.Read(ref _batches);

        /// <summary>Every round run, empty ones included (an idle commit thread runs none).</summary>
        public long Rounds => Interlocked.Read(ref _rounds);

        /// <summary>The rounds of <see cref="Rounds"/> that ran on an event loop (<see cref="TryCommitHere"/>).</summary>
        public long RoundsHere => Interlocked.Read(ref _roundsHere);

        /// <summary>Writes completed by those rounds.</summary>
        public long Writes => Interlocked.Read(ref _writes);

        /// <summary>Drains what is queued, then stops.</summary>
        public void Stop()
        {
            _log.Close();
            if (_thread.IsAlive)
            {
                _thread.Join();
            }
            else if (!_schedule.StartsThreads)
            {
                RunRound(TimeSpan.Zero); // what the thread's last round would have done
            }
        }

        /// <summary>
        /// One round: waits up to <paramref name="wait"/> for writes, makes them durable, then visible.
        /// Returns true once the log is closing. The thread runs it in a loop; a simulation calls it directly.
        /// </summary>
        public bool RunRound(TimeSpan wait)
        {
            bool closing = _log.WaitForWrites(wait);
            lock (_round)
            {
                CommitQueued();
            }

            _afterRound?.Invoke();
            return closing;
        }

        /// <summary>
        /// An event loop with nothing else to do commits what is queued on its own thread, as Redis does before
        /// it sleeps: no thread to wake, and the answers go out in one burst. Returns false, committing nothing,
        /// if a round is already under way, nothing is queued, or the commit thread was woken for the queue
        /// (the loop then hands its writes over with <see cref="HandOver"/>, which is idempotent).
        /// A fault in the round fails the log, as on the commit thread; a simulation (no threads) sees it thrown,
        /// as from <see cref="RunRound"/>.
        /// </summary>
        public bool TryCommitHere()
        {
            // Not reentrant either: a round's own callbacks must never start a second round inside it.
            if (Monitor.IsEntered(_round) || !Monitor.TryEnter(_round))
            {
                return false;
            }

            try
            {
                PendingBatch? batch = _log.TryTakeInlineBatch();
                if (batch is null)
                {
                    return false; // nothing queued, or the commit thread was woken for it and takes it all
                }

                Interlocked.Increment(ref _roundsHere);
                CommitBatch(batch);
            }
            catch (Exception e) when (_schedule.StartsThreads)
            {
                StorageLog.CommitRoundFailed(_log.Options.Logger, e);
                _log.Fail(e);
            }
            finally
            {
                Monitor.Exit(_round);
            }

            _afterRound?.Invoke();
            return true;
        }

        /// <summary>Wakes the commit thread for what is queued: a loop with more to do lets it sync meanwhile.</summary>
        public void HandOver() => _log.WakeCommitter();

        private void CommitQueued() => CommitBatch(_log.TakeBatch());

        private void CommitBatch(PendingBatch batch)
        {
            Interlocked.Increment(ref _rounds);
            try
            {
                Commit(batch, _log.Options.Durability.Mode);
            }
            finally
            {
                _log.Recycle(batch);
            }
        }

        private void Run()
        {
            Durability durability = _log.Options.Durability;
            TimeSpan wait = durability.Mode == DurabilityMode.Batched ? durability.Interval : Timeout.InfiniteTimeSpan;
            while (true)
            {
                try
                {
                    if (RunRound(wait))
                    {
                        return;
                    }
                }
                catch (Exception e)
                {
                    // Not a failed sync (Commit handles those) but a fault in the round itself. The thread must
                    // not die with it: its death would end the process, and every write queued behind it would
                    // wait for ever. Refuse writes from now on; what is queued completes as failed.
                    StorageLog.CommitRoundFailed(_log.Options.Logger, e);
                    _log.Fail(e);
                }
            }
        }

        private void Commit(PendingBatch batch, DurabilityMode mode)
        {
            // Writes appended while an earlier round's sync was failing are queued here, behind bytes the
            // kernel may have dropped: a sync that succeeds now proves nothing for them (fsyncgate), so once
            // the log has failed every queued write fails with it.
            bool failed = _log.Failure is not null;
            if (!failed)
            {
                try
                {
                    MakeDurable(batch, mode);
                }
                catch (Exception e)
                {
                    _log.Fail(e);
                    failed = true;
                }
            }

            if (failed)
            {
                FailFrom(batch, 0);
                return;
            }

            int completed = 0;
            try
            {
                _schedule.Point("commit.synced");

                // Counted before anyone hears of it, so a writer that returns sees its write in the figures.
                if (batch.Count > 0)
                {
                    Interlocked.Increment(ref _batches);
                    Interlocked.Add(ref _writes, batch.Count);
                    _log.Options.BatchCommitted?.Invoke(batch.Count);
                }

                // Visible only now, in sequence order, so nobody reads what a crash could still take back.
                while (completed < batch.Count)
                {
                    ref PendingWrite write = ref batch[completed];
                    WriteOutcome outcome = Apply(batch, write);
                    write.Upload?.Finish();
                    completed++;
                    Complete(write, outcome);
                    Report(batch, write, outcome);
                    _schedule.Point("commit.applied");
                }
            }
            catch (Exception e)
            {
                // A fault between the sync and the index: durable writes may be missing from memory, so refuse
                // writes (as a broken invariant does), and answer everyone still waiting rather than leave them.
                StorageLog.CommitRoundFailed(_log.Options.Logger, e);
                _log.Fail(e);
                FailFrom(batch, completed);
            }
        }

        private WriteOutcome Apply(PendingBatch batch, in PendingWrite write)
        {
            try
            {
                return _log.Catalog.Apply(batch.KeyOf(write), write.Location, _log.Options.NowUnixSeconds());
            }
            catch (Exception e)
            {
                // Durable but not in the index (a broken invariant, or no memory for it): memory and disk
                // disagree until a reopen, so stop writes (and a merge stops waiting for this sequence).
                _log.Fail(e);
                return WriteOutcome.Failed;
            }
        }

        /// <summary>Completes the writes from <paramref name="first"/> on as failed, cleaning up their uploads.</summary>
        private void FailFrom(PendingBatch batch, int first)
        {
            for (int i = first; i < batch.Count; i++)
            {
                ref PendingWrite write = ref batch[i];
                if (write.Upload is { } upload)
                {
                    // Not renamed yet: delete it. Renamed: its file now belongs to a segment.
                    if (write.Segment is null)
                    {
                        upload.Abort();
                    }
                    else
                    {
                        upload.Finish();
                    }
                }

                Complete(write, WriteOutcome.Failed);
            }
        }

        /// <summary>
        /// Tells the writer. Its callback is the caller's code on the commit thread: if it throws, the thread
        /// logs it and goes on, since the write's fate is settled and every later writer still waits to hear.
        /// </summary>
        /// <summary>Tells the key's watchers, after its writer was answered; like a completion, a fault here costs the watchers only.</summary>
        private void Report(PendingBatch batch, in PendingWrite write, WriteOutcome outcome)
        {
            try
            {
                _log.Catalog.Report(batch.KeyOf(write), outcome, write.Location.Sequence);
            }
            catch (Exception e)
            {
                StorageLog.CompletionFailed(_log.Options.Logger, "a watch report", e);
            }
        }

        private void Complete(in PendingWrite write, WriteOutcome outcome)
        {
            try
            {
                ulong version = outcome is WriteOutcome.Created or WriteOutcome.Replaced or WriteOutcome.Deleted ? write.Location.Sequence : 0;
                write.Completion?.OnWriteCompleted(write.Token, outcome, version);
            }
            catch (Exception e)
            {
                StorageLog.CompletionFailed(_log.Options.Logger, outcome.ToString(), e);
            }
        }

        private void MakeDurable(PendingBatch batch, DurabilityMode mode)
        {
            bool sync = mode != DurabilityMode.None;
            _touched.Clear();
            if (mode != DurabilityMode.Always)
            {
                // Batched: everything appended since the last round; None: nothing (synced on close).
                if (mode == DurabilityMode.Batched)
                {
                    _touched.AddRange(_log.TakeUnsynced());
                }
            }

            bool directoryChanged = false;
            for (int i = 0; i < batch.Count; i++)
            {
                ref PendingWrite write = ref batch[i];
                if (write.Upload is { } upload)
                {
                    // A streamed value: sync its own file, then give it its final name.
                    if (sync)
                    {
                        upload.Handle.DataSync();
                    }

                    _log.Directory.Rename(FileNames.Partial(upload.SegmentId), FileNames.Segment(upload.SegmentId));
                    Segment segment = upload.ToSegment(write.Location.Sequence);
                    if (sync)
                    {
                        segment.SyncedLength = segment.Length;
                    }

                    _log.Catalog.AddSegment(segment);
                    _log.SealIfSynced(segment);
                    write.Segment = segment;
                    directoryChanged = true;
                }
                else if (!_touched.Contains(write.Segment))
                {
                    _touched.Add(write.Segment);
                }
            }

            if (!sync)
            {
                return;
            }

            foreach (Segment segment in _touched)
            {
                // Batched: a merge waits for the index, not for this periodic sync, so it may have retired a
                // sealed segment written since the last round. Its live records are in a synced merge output
                // and the file is deleted: nothing is left to make durable, and its descriptor is closed (or
                // already reused for another file). Holding it keeps a merge from closing it mid-sync.
                if (!segment.TryAcquire())
                {
                    if (segment.IsRetired)
                    {
                        continue;
                    }

                    // Closed by anything else, its unsynced writes can no longer be made durable.
                    throw new ObjectDisposedException(segment.Handle.Name, "the segment's file was closed before its sync");
                }

                try
                {
                    directoryChanged |= !segment.DirectorySynced;
                    segment.SyncData();
                    _log.SealIfSynced(segment);
                }
                finally
                {
                    segment.Release();
                }
            }

            if (directoryChanged)
            {
                // New files and renames are durable only once their directory is synced.
                _log.Directory.Sync();
                foreach (Segment segment in _touched)
                {
                    segment.DirectorySynced = true;
                }

                for (int i = 0; i < batch.Count; i++)
                {
                    batch[i].Segment.DirectorySynced = true;
                }
            }
        }
    }
}
