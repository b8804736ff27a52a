using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Segments;
using EmbedKv.Server.Storage.Writes;

namespace EmbedKv.Server.Storage.Compaction
{
    /// <summary>
    /// The background merge (docs/storage.md, "Compaction"): copies the live records of every sealed
    /// segment that holds dead bytes into new segments, commits through <see cref="MergeManifest"/>, points
    /// the index at the copies and retires the old files. Reads and writes go on meanwhile; the index lock
    /// is taken per key, never across file work.
    /// </summary>
    internal sealed class Compactor : IDisposable
    {
        private const int CopyBufferSize = 1 << 20;
        private const int PokeMilliseconds = 50;

        private readonly WriteLog _log;
        private readonly object _runLock = new object();
        private readonly AutoResetEvent _wake = new AutoResetEvent(false);
        private readonly Thread _thread;
        private readonly RecordReader _reader = new RecordReader();
        private readonly byte[] _copyBuffer = new byte[CopyBufferSize];
        private readonly StoreSchedule _schedule;
        private volatile bool _stopping;
        private long _merges;
        private int _poked;

        public Compactor(WriteLog log)
        {
            _log = log;
            _schedule = log.Options.Schedule;
            _thread = new Thread(Run) { IsBackground = true, Name = "EmbedKv compaction" };
            if (log.Options.AutomaticCompaction && _schedule.StartsThreads)
            {
                _thread.Start();
            }
        }

        public long Merges => Interlocked.Read(ref _merges);

        private Catalog Catalog => _log.Catalog;

        private IStorageDirectory Directory => _log.Directory;

        /// <summary>Checks soon whether a merge is due.</summary>
        /// <remarks>
        /// Called after every commit round, which can be thousands of times a second. Only the first poke
        /// after the merge thread's last check wakes it; the thread then checks at most once per
        /// <see cref="PokeMilliseconds"/>, prompt enough for a merge. Waking it every round cost two context
        /// switches and a scan of the segments per round, on the core the rounds run on. A poke is never lost:
        /// the thread clears the flag before it checks, so one that comes during a check wakes it again.
        /// </remarks>
        public void Poke()
        {
            if (Volatile.Read(ref _poked) == 0 && Interlocked.Exchange(ref _poked, 1) == 0)
            {
                try
                {
                    _wake.Set();
                }
                catch (ObjectDisposedException)
                {
                    // A round on a loop that outlived the store's close (a loop past its stop deadline): no merge to start.
                }
            }
        }

        public bool IsDue()
        {
            long dead = Catalog.DeadBytes + Catalog.ExpiredBytes(_log.Options.NowUnixSeconds());
            return dead >= _log.Options.CompactionMinimumDeadBytes && dead > _log.Options.CompactionThreshold * Catalog.RecordBytes;
        }

        /// <summary>Merges now (whether due or not); returns how many segments were merged.</summary>
        public int CompactNow()
        {
            lock (_runLock)
            {
                return Merge();
            }
        }

        public void Dispose()
        {
            _stopping = true;
            _wake.Set();
            if (_thread.IsAlive)
            {
                _thread.Join();
            }

            _wake.Dispose();
        }

        private void Run()
        {
            long lastCheck = long.MinValue / 2;
            while (!_stopping)
            {
                // Once a second anyway: expired values become dead bytes without a write to poke.
                if (_wake.WaitOne(TimeSpan.FromSeconds(1)))
                {
                    long early = lastCheck + PokeMilliseconds - Environment.TickCount64;
                    if (early > 0)
                    {
                        Thread.Sleep((int)early); // the pokes meanwhile find the flag set and wake nothing
                    }
                }

                Interlocked.Exchange(ref _poked, 0); // a full fence: the check below must not read counts from before it
                lastCheck = Environment.TickCount64;
                if (!_stopping && !RunIfDue())
                {
                    Thread.Sleep(TimeSpan.FromSeconds(5));
                }
            }
        }

        /// <summary>What the merge thread does when it wakes: merges if due. False if a merge failed.</summary>
        public bool RunIfDue()
        {
            if (_log.Failure is not null || !IsDue())
            {
                return true;
            }

            try
            {
                CompactNow();
                return true;
            }
            catch (Exception e)
            {
                // Before the commit point the inputs are untouched, so the store is still whole; past it the
                // log has failed and the next open finishes the merge.
                StorageLog.MergeFailed(_log.Options.Logger, e);
                return false;
            }
        }

        private int Merge()
        {
            // Dropping a tombstone is safe only if no older record of its key survives outside the merge
            // (docs/storage.md, "Compaction"). Every such record is counted dead once the tombstone is in the
            // index, so its segment has dead bytes and is an input too, provided that (1) every write up to
            // the horizon is in the index before inputs are chosen (a write still syncing would otherwise
            // make a record dead only after the choice, leaving it behind while its tombstone goes), and
            // (2) every segment with dead bytes is a candidate, merge outputs and streamed values included,
            // whatever their ids. Only segments that may still take writes beyond the horizon stay out.
            (ulong horizon, uint active, ulong activeFirst) = _log.Horizon();
            while (Catalog.AppliedSequence < horizon)
            {
                if (_log.Failure is not null || _stopping)
                {
                    return 0; // failed writes never reach the index; nothing to wait for any more
                }

                _schedule.Idle();
            }

            if (_log.Options.Durability.Mode != DurabilityMode.Always)
            {
                MakeWrittenDurable();
            }

            uint activeNow = _log.Horizon().ActiveSegment;
            long now = _log.Options.NowUnixSeconds();
            List<Segment> inputs = Catalog.Segments()
                .Where(s => (s.DeadBytes > 0 || s.HasExpiredBy(now)) && s.MaxSequence <= horizon && s.Id != active && s.Id != activeNow)
                .ToList();
            if (inputs.Count == 0)
            {
                return 0;
            }

            Step("inputs-chosen");
            var outputs = new List<Segment>();
            try
            {
                CopyLiveRecords(inputs, outputs, now, activeFirst);
                foreach (Segment output in outputs)
                {
                    output.Handle.DataSync();
                }

                Step("outputs-synced");
            }
            catch
            {
                // Before the commit point nothing is lost by giving up: the inputs are still whole.
                foreach (Segment output in outputs)
                {
                    output.Handle.Dispose();
                    Directory.TryDelete(FileNames.SegmentTemp(output.Id));
                }

                throw;
            }

            List<uint> inputIds = inputs.Select(s => s.Id).ToList();
            List<uint> outputIds = outputs.Select(s => s.Id).ToList();
            try
            {
                MergeManifest.Commit(Directory, inputIds, outputIds);
            }
            catch (Exception e)
            {
                if (ManifestInstalled())
                {
                    // The rename happened (a later step failed): the merge may have committed. Handled as
                    // any failure past the commit point below.
                    _log.Fail(e);
                    throw;
                }

                // Writing the manifest failed (ENOSPC on a full disk, typically): no commit point, so give
                // the outputs' space back now, as above. Left behind, they would hold that space (and their
                // descriptors) until the next open, and no later merge could free anything.
                foreach (Segment output in outputs)
                {
                    output.Handle.Dispose();
                    Directory.TryDelete(FileNames.SegmentTemp(output.Id));
                }

                Directory.TryDelete(FileNames.ManifestTemp);
                throw;
            }

            try
            {
                Step("committed");
                foreach (Segment output in outputs)
                {
                    Directory.Rename(FileNames.SegmentTemp(output.Id), FileNames.Segment(output.Id));
                }

                Directory.Sync();
                Step("renamed");
                SwitchIndex(outputs);
                Catalog.Remove(inputs);
                foreach (Segment input in inputs)
                {
                    input.Retire();
                }

                Step("switched");
                MergeManifest.Finish(Directory, inputIds, Array.Empty<uint>());
            }
            catch (Exception e)
            {
                // Past the commit point the manifest rules: the next open finishes this merge. Until
                // then the files may not match what the index believes, so stop taking writes.
                _log.Fail(e);
                throw;
            }

            Interlocked.Increment(ref _merges);
            StorageLog.Merged(_log.Options.Logger, inputs.Count, outputs.Count);
            return inputs.Count;
        }

        private void CopyLiveRecords(List<Segment> inputs, List<Segment> outputs, long now, ulong activeFirst)
        {
            Segment? output = null;
            foreach (Segment input in inputs)
            {
                _reader.Open(input.Handle, input.Format);
                while (_reader.TryReadNext(out ReadOnlySpan<byte> key))
                {
                    RecordHeader header = _reader.Header;
                    if (header.IsSeal || header.Tombstone || !Catalog.IsLive(key, input.Id, (uint)_reader.RecordOffset))
                    {
                        // Dead records and tombstones stay behind: every older record of a key is in a
                        // merged segment too (docs/storage.md), so no tombstone is needed any more.
                        continue;
                    }

                    if (header.HasTrailer && (long)header.Expires <= now && header.Sequence < activeFirst)
                    {
                        // Expired, so absent everywhere already. Dropping it is as safe as dropping a tombstone:
                        // every older record of its key turned dead when it was written, so its segment is an
                        // input too, unless it is the excluded active segment, and records below activeFirst
                        // are older than anything there (a streamed value's record can be newer: it waits).
                        // The index forgets the key now, as it would never find the record again.
                        Catalog.ForgetExpired(key, header.Sequence);
                        continue;
                    }

                    if (output is null || output.Length + header.RecordLength > _log.Options.SegmentSize && output.RecordBytes > 0)
                    {
                        output = CreateOutput();
                        outputs.Add(output);
                    }

                    Copy(input, _reader.RecordOffset, header, output);
                    output.NoteExpiring((uint)Math.Min(header.Expires, uint.MaxValue), header.RecordLength);
                    output.MaxSequence = Math.Max(output.MaxSequence, header.Sequence);
                }

                if (_reader.Problem is not null)
                {
                    throw new StorageCorruptedException(input.Handle.Name, _reader.Position, _reader.Problem + " (found while merging; the merge was abandoned)");
                }

                Step("copied");
            }

            // Each output is synced whole before the merge commits, so its seal's claim is true by the
            // time the output is a segment, and it covers the output's last records too.
            Span<byte> seal = stackalloc byte[RecordHeader.Size];
            foreach (Segment done in outputs)
            {
                RecordHeader.WriteSealRecord(seal, done.Format, done.Length, done.Length);
                done.Handle.WriteAt(seal, done.Length);
                done.Length += RecordHeader.Size;
                done.Full = true;
                done.Sealed = true;
            }
        }

        private Segment CreateOutput()
        {
            uint id = _log.NextSegmentId();
            IStorageFile file = Directory.Open(FileNames.SegmentTemp(id), FileMode.CreateNew);
            SegmentFormat format;
            try
            {
                Span<byte> header = stackalloc byte[SegmentHeader.Size];
                format = SegmentHeader.Write(header, id);
                file.WriteAt(header, 0);
            }
            catch
            {
                // Not in the caller's outputs yet, so its clean-up would miss this file (ENOSPC, typically).
                file.Dispose();
                Directory.TryDelete(FileNames.SegmentTemp(id));
                throw;
            }

            return new Segment(id, file, SegmentHeader.Size, directorySynced: true) { Format = format };
        }

        /// <summary>
        /// Copies one record to the end of <paramref name="to"/> with a new header: its CRC is computed for
        /// the output's salt and offset (and a version 1 record becomes a version 2 one). The source bytes are
        /// checked again against their own CRC as they pass, so nothing that changed since the reader
        /// checked them is blessed with a fresh CRC.
        /// </summary>
        private void Copy(Segment from, long offset, RecordHeader header, Segment to)
        {
            Span<byte> sourceHeader = stackalloc byte[RecordHeader.Size];
            ReadExactly(from.Handle, sourceHeader, offset);
            uint sourceCrc = from.Format.CrcSeed(offset);
            uint crc = to.Format.CrcSeed(to.Length);
            // Key, value and any expiry trailer: everything after the header, in the CRC's order.
            long body = header.RecordLength - RecordHeader.Size;
            for (long done = 0; done < body;)
            {
                int chunk = (int)Math.Min(body - done, _copyBuffer.Length);
                Span<byte> bytes = _copyBuffer.AsSpan(0, chunk);
                ReadExactly(from.Handle, bytes, offset + RecordHeader.Size + done);
                sourceCrc = Crc32C.Append(sourceCrc, bytes);
                crc = Crc32C.Append(crc, bytes);
                to.Handle.WriteAt(bytes, to.Length + RecordHeader.Size + done);
                done += chunk;
            }

            if (RecordHeader.FinishCrc(sourceCrc, sourceHeader) != RecordHeader.StoredCrc(sourceHeader))
            {
                throw new StorageCorruptedException(from.Handle.Name, offset, "CRC mismatch while merging (the record changed after it was checked; the merge was abandoned)");
            }

            Span<byte> newHeader = stackalloc byte[RecordHeader.Size];
            new RecordHeader(header.KeyLength, header.ValueLength, header.Sequence, tombstone: false, expires: header.Expires).WriteTo(newHeader);
            RecordHeader.Seal(newHeader, crc);
            to.Handle.WriteAt(newHeader, to.Length);
            to.Length += header.RecordLength;
        }

        private static void ReadExactly(IStorageFile file, Span<byte> buffer, long offset)
        {
            for (int done = 0; done < buffer.Length;)
            {
                int read = file.ReadAt(buffer.Slice(done), offset + done);
                if (read <= 0)
                {
                    throw new EndOfStreamException(file.Name + " ended while merging a record at " + offset);
                }

                done += read;
            }
        }

        /// <summary>Points each key at its copy, unless a write made since the copy replaced or deleted it.</summary>
        private void SwitchIndex(List<Segment> outputs)
        {
            foreach (Segment output in outputs)
            {
                Catalog.AddSegment(output);
                long dead = 0;
                _reader.Open(output.Handle, output.Format);
                while (_reader.TryReadNext(out ReadOnlySpan<byte> key))
                {
                    if (_reader.Header.IsSeal)
                    {
                        continue;
                    }

                    if (!Catalog.Relocate(key, _reader.Header.Sequence, output.Id, (uint)_reader.RecordOffset))
                    {
                        dead += _reader.Header.RecordLength;
                    }
                }

                Catalog.MarkDead(output, dead);
            }
        }

        /// <summary>
        /// Batched and None put a write in the index before it is on disk. A merge that judged a record dead
        /// by such a write, and deleted its segment, would let a power cut take both the old value and the
        /// new one: a state no order of the writes produces. So before judging, the merge syncs everything
        /// written so far (the disk must take it eventually anyway). A failed sync fails the log, as the
        /// commit thread's would (fsyncgate).
        /// </summary>
        private void MakeWrittenDurable()
        {
            try
            {
                foreach (Segment segment in Catalog.Segments())
                {
                    if (segment.SyncedLength < segment.Length && segment.TryAcquire())
                    {
                        try
                        {
                            segment.SyncData();
                        }
                        finally
                        {
                            segment.Release();
                        }
                    }
                }

                Directory.Sync(); // streamed values renamed into place since the last periodic sync
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                _log.Fail(e);
                throw;
            }
        }

        /// <summary>Whether merge.manifest exists; true when that cannot be told (the safe answer: keep the outputs).</summary>
        private bool ManifestInstalled()
        {
            try
            {
                return Directory.List().Contains(FileNames.Manifest);
            }
            catch (IOException)
            {
                return true;
            }
        }

        private void Step(string name) => _schedule.Point("merge." + name);
    }
}
