using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Interop;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Tests.Storage.FaultInjection
{
    /// <summary>
    /// A real data directory that remembers what a power cut would keep, after LevelDB's
    /// FaultInjectionTestEnv: each file is durable up to its size at its last sync, and the directory's
    /// names are durable as of its last sync. <see cref="Crash"/> throws away everything else: it cuts
    /// every file back to its synced size (or, with tearing, to a random point of its unsynced tail, as a
    /// disk that wrote some sectors and not others), deletes files created since the last directory
    /// sync, undoes renames and brings deleted files back. It can also fail chosen operations with an errno.
    /// </summary>
    internal sealed class FaultInjectingDirectory : IStorageDirectory
    {
        private const string Hidden = ".fi-";

        private readonly IStorageDirectory _real;
        private readonly object _lock = new object();
        private readonly List<FaultyFile> _files = new List<FaultyFile>();
        private readonly HashSet<string> _createdSinceSync = new HashSet<string>(StringComparer.Ordinal);
        private readonly List<(string From, string To, string? Replaced)> _renamesSinceSync = new List<(string, string, string?)>();
        private readonly List<(string Name, string Backup)> _deletedSinceSync = new List<(string, string)>();
        private readonly Dictionary<string, (int Left, int Errno)> _failures = new Dictionary<string, (int, int)>();
        private readonly Dictionary<string, int> _skips = new Dictionary<string, int>();
        private int _backups;
        private bool _crashed;

        private readonly IReadOnlyDictionary<string, long> _inheritedSyncedLengths;

        /// <summary>Opens a directory whose files count as durable as they stand.</summary>
        /// <param name="path">The directory.</param>
        public FaultInjectingDirectory(string path)
            : this(path, new Dictionary<string, long>())
        {
        }

        /// <summary>
        /// Opens a directory after a process crash (<see cref="CrashProcess"/>): what the dead process wrote
        /// but never synced is still only in the page cache, so a later power cut can still lose it.
        /// </summary>
        /// <param name="path">The directory.</param>
        /// <param name="syncedLengths">The crashed instance's <see cref="SyncedLengths"/>.</param>
        public FaultInjectingDirectory(string path, IReadOnlyDictionary<string, long> syncedLengths)
        {
            _real = NativeStorageDirectory.Open(path);
            _inheritedSyncedLengths = syncedLengths;
        }

        /// <summary>
        /// False: fdatasync and directory syncs are only recorded, never made (a simulation runs many
        /// thousands of them; what they would make durable is tracked here all the same).
        /// </summary>
        public bool RealSyncs { get; set; } = true;

        public string Path => _real.Path;

        /// <summary>How many times each operation ("open", "write", "datasync", "truncate", "rename", "sync") ran.</summary>
        public Dictionary<string, int> Calls { get; } = new Dictionary<string, int>();

        /// <summary>
        /// Called with the operation ("datasync" or "rename") and the file's name before each fdatasync and
        /// rename, outside the directory's lock, so a test can hold the commit thread inside one of them
        /// while it works the store from another thread.
        /// </summary>
        public Action<string, string>? BeforeSlowCall { get; set; }

        /// <summary>
        /// Called with the operation and file name at the start of every call the store makes (before it
        /// takes effect), under the directory's lock: a simulation counts calls here to crash at the N-th.
        /// </summary>
        public Action<string, string>? OnCall { get; set; }

        /// <summary>How many calls failed because <see cref="FailNext"/> said so.</summary>
        public int InjectedFailures { get; private set; }

        /// <summary>
        /// Makes the next <paramref name="count"/> calls of <paramref name="operation"/> fail with <paramref name="errno"/>,
        /// after letting <paramref name="after"/> calls through (the second pwrite of a record, say).
        /// </summary>
        public void FailNext(string operation, int errno, int count = 1, int after = 0)
        {
            lock (_lock)
            {
                _failures[operation] = (count, errno);
                _skips[operation] = after;
            }
        }

        /// <summary>Stops failing operations.</summary>
        public void Heal()
        {
            lock (_lock)
            {
                _failures.Clear();
                _skips.Clear();
            }
        }

        public IStorageFile Open(string name, FileMode mode)
        {
            lock (_lock)
            {
                Check("open", name);
                bool existed = _real.List().Contains(name);
                var file = new FaultyFile(this, _real.Open(name, mode), name);
                if (!existed)
                {
                    _createdSinceSync.Add(name);
                }
                else if (mode is FileMode.Create or FileMode.Truncate)
                {
                    file.SyncedLength = 0;
                }
                else if (_inheritedSyncedLengths.TryGetValue(name, out long synced))
                {
                    file.SyncedLength = Math.Min(file.SyncedLength, synced);
                }

                _files.Add(file);
                return file;
            }
        }

        public void Rename(string from, string to)
        {
            BeforeSlowCall?.Invoke("rename", from);
            lock (_lock)
            {
                Check("rename", from);
                string? replaced = null;
                if (_real.List().Contains(to))
                {
                    // Keep what the rename replaces, so a crash can put it back.
                    replaced = Hidden + "replaced-" + _backups++;
                    _real.Rename(to, replaced);
                    Retarget(to, replaced);
                }

                _real.Rename(from, to);
                _renamesSinceSync.Add((from, to, replaced));
                Retarget(from, to);
            }
        }

        public bool TryDelete(string name)
        {
            lock (_lock)
            {
                Check("delete", name);
                if (!_real.List().Contains(name))
                {
                    return false;
                }

                if (_createdSinceSync.Remove(name))
                {
                    Retarget(name, null);
                    return _real.TryDelete(name);
                }

                // Deleted names come back after a crash unless the directory was synced: keep the file.
                string backup = Hidden + "deleted-" + _backups++;
                _real.Rename(name, backup);
                Retarget(name, backup);
                _deletedSinceSync.Add((name, backup));
                return true;
            }
        }

        public void Sync()
        {
            lock (_lock)
            {
                Check("sync", Path);
                if (RealSyncs)
                {
                    _real.Sync();
                }

                _createdSinceSync.Clear();
                foreach ((_, _, string? replaced) in _renamesSinceSync)
                {
                    if (replaced is not null)
                    {
                        _real.TryDelete(replaced);
                    }
                }

                foreach ((_, string backup) in _deletedSinceSync)
                {
                    _real.TryDelete(backup);
                }

                _renamesSinceSync.Clear();
                _deletedSinceSync.Clear();
            }
        }

        public IReadOnlyList<string> List()
        {
            lock (_lock)
            {
                Check("list", Path);
                return _real.List().Where(name => !name.StartsWith(Hidden, StringComparison.Ordinal)).ToList();
            }
        }

        public bool TryLock() => _real.TryLock();

        /// <summary>Links straight through: a checkpoint links only sealed segments, synced whole, which no crash here changes.</summary>
        public bool TryLink(string name, CheckpointDirectory target) => _real.TryLink(name, target);

        /// <summary>
        /// Loses power: the store that used this directory is dead from here on (every call it makes
        /// throws EIO) and the directory holds only what was durable. Reopen it with a new instance.
        /// </summary>
        /// <param name="tearing">If set, each file keeps a random part of its unsynced tail instead of none.</param>
        /// <param name="pages">
        /// If set, the unsynced part that is kept persisted page by page in no particular order, as the
        /// kernel's writeback may leave it: each 4 KiB page of it is kept or zeroed at random, so a lost
        /// page can be followed by a kept one. (Bytes below the synced length are never touched.)
        /// </param>
        public void Crash(Random? tearing = null, Random? pages = null)
        {
            lock (_lock)
            {
                _crashed = true;
                foreach (FaultyFile file in _files)
                {
                    file.CloseForCrash();
                }

                for (int i = _renamesSinceSync.Count - 1; i >= 0; i--)
                {
                    (string from, string to, string? replaced) = _renamesSinceSync[i];
                    _real.Rename(to, from);
                    Retarget(to, from);
                    if (replaced is not null)
                    {
                        _real.Rename(replaced, to);
                        Retarget(replaced, to);
                    }
                }

                foreach (string name in _createdSinceSync)
                {
                    _real.TryDelete(name);
                    Retarget(name, null);
                }

                foreach ((string name, string backup) in _deletedSinceSync)
                {
                    _real.Rename(backup, name);
                    Retarget(backup, name);
                }

                HashSet<string> present = _real.List().ToHashSet(StringComparer.Ordinal);
                foreach (FaultyFile file in _files.Where(f => present.Contains(f.Name)))
                {
                    using IStorageFile raw = _real.Open(file.Name, FileMode.Open);
                    long length = raw.Length;
                    if (length > file.SyncedLength)
                    {
                        long keep = tearing is null ? 0 : tearing.NextInt64(0, length - file.SyncedLength + 1);
                        raw.Truncate(file.SyncedLength + keep);
                        if (pages is not null)
                        {
                            ScramblePages(raw, file.SyncedLength, file.SyncedLength + keep, pages);
                        }
                    }
                }

                _real.Dispose(); // releases the dead store's lock
            }
        }

        /// <summary>Per file name, how much of it a sync made durable (for the instance that reopens after a process crash).</summary>
        public IReadOnlyDictionary<string, long> SyncedLengths()
        {
            lock (_lock)
            {
                // A sync through any handle covers the whole file: the best of this instance's handles counts.
                var lengths = new Dictionary<string, long>(_inheritedSyncedLengths, StringComparer.Ordinal);
                var opened = new HashSet<string>(StringComparer.Ordinal);
                foreach (FaultyFile file in _files)
                {
                    lengths[file.Name] = opened.Add(file.Name) ? file.SyncedLength : Math.Max(lengths[file.Name], file.SyncedLength);
                }

                return lengths;
            }
        }

        /// <summary>
        /// The process dies (SIGKILL) but the machine does not: the store that used this directory is dead
        /// (every call it makes throws EIO), and everything it wrote stays, synced or not, as the page cache
        /// keeps it. Reopen the directory with a new instance.
        /// </summary>
        public void CrashProcess()
        {
            lock (_lock)
            {
                _crashed = true;
                foreach (FaultyFile file in _files)
                {
                    file.CloseForCrash();
                }

                foreach ((_, _, string? replaced) in _renamesSinceSync)
                {
                    if (replaced is not null)
                    {
                        _real.TryDelete(replaced);
                    }
                }

                foreach ((_, string backup) in _deletedSinceSync)
                {
                    _real.TryDelete(backup);
                }

                _real.Dispose();
            }
        }

        /// <summary>Zeroes a random half of the 4 KiB pages of [from, to), leaving bytes below <paramref name="from"/> alone.</summary>
        private static void ScramblePages(IStorageFile file, long from, long to, Random random)
        {
            const int Page = 4096;
            byte[] zeros = new byte[Page];
            for (long page = from / Page * Page; page < to; page += Page)
            {
                if (random.Next(2) == 0)
                {
                    continue;
                }

                long start = Math.Max(page, from);
                long end = Math.Min(page + Page, to);
                file.WriteAt(zeros.AsSpan(0, (int)(end - start)), start);
            }
        }

        public void Dispose()
        {
            lock (_lock)
            {
                if (!_crashed)
                {
                    _real.Dispose();
                }
            }
        }

        /// <summary>
        /// Follows a name's files to their new name (null: gone for good), so that a crash cuts each real file
        /// back by its own synced length, never by that of an older file that once had the same name.
        /// </summary>
        private void Retarget(string from, string? to)
        {
            foreach (FaultyFile file in _files.Where(f => f.Name == from))
            {
                file.Name = to ?? Hidden + "gone";
            }
        }

        private void Check(string operation, string name)
        {
            Calls[operation] = Calls.TryGetValue(operation, out int n) ? n + 1 : 1;
            if (!_crashed)
            {
                OnCall?.Invoke(operation, name);
            }

            if (_crashed)
            {
                throw new SyscallException(operation, new Errno(Sys.EIO), name + " (after a simulated crash)");
            }

            if (_skips.TryGetValue(operation, out int skip) && skip > 0)
            {
                _skips[operation] = skip - 1;
                return;
            }

            if (_failures.TryGetValue(operation, out (int Left, int Errno) failure) && failure.Left > 0)
            {
                _failures[operation] = (failure.Left - 1, failure.Errno);
                InjectedFailures++;
                var error = new SyscallException(operation, new Errno(failure.Errno), name + " (injected)");

                // What the seam promises (Storage/IO's NoSpace): ENOSPC from an operation that needs space
                // comes as StorageFullException; from a sync it stays the syscall's failure.
                if (failure.Errno == Sys.ENOSPC && operation is "open" or "write" or "truncate" or "rename")
                {
                    throw new StorageFullException(error);
                }

                throw error;
            }
        }

        private sealed class FaultyFile : IStorageFile
        {
            private readonly FaultInjectingDirectory _owner;
            private readonly IStorageFile _inner;

            public FaultyFile(FaultInjectingDirectory owner, IStorageFile inner, string name)
            {
                _owner = owner;
                _inner = inner;
                Name = name;
                SyncedLength = inner.Length;
            }

            public string Name { get; set; }

            public long SyncedLength { get; set; }

            public FileDescriptor Descriptor => _inner.Descriptor;

            public long Length => _inner.Length;

            // Every operation runs under the directory's lock, so a crash falls cleanly before or after
            // it: a sync that finished counts, and no write lands after the power is gone.
            public int ReadAt(Span<byte> buffer, long offset)
            {
                lock (_owner._lock)
                {
                    _owner.Check("read", Name);
                    return _inner.ReadAt(buffer, offset);
                }
            }

            public void WriteAt(ReadOnlySpan<byte> data, long offset)
            {
                lock (_owner._lock)
                {
                    _owner.Check("write", Name);
                    _inner.WriteAt(data, offset);
                }
            }

            public void DataSync()
            {
                _owner.BeforeSlowCall?.Invoke("datasync", Name);
                lock (_owner._lock)
                {
                    _owner.Check("datasync", Name);
                    if (_owner.RealSyncs)
                    {
                        _inner.DataSync();
                    }
                    else if (_inner.Descriptor.IsClosed)
                    {
                        // What the kernel would answer for a descriptor closed under the caller.
                        throw new SyscallException("fdatasync", new Errno(Sys.EBADF), Name);
                    }

                    SyncedLength = _inner.Length;
                }
            }

            public void Truncate(long length)
            {
                lock (_owner._lock)
                {
                    _owner.Check("truncate", Name);
                    _inner.Truncate(length);

                    // A shrink is metadata: until the next sync a crash may leave either size; keep the smaller.
                    SyncedLength = Math.Min(SyncedLength, length);
                }
            }

            public bool TryPreallocate(long length) => _inner.TryPreallocate(length);

            public void AdviseSequential() => _inner.AdviseSequential();

            public void Dispose() => _inner.Dispose();

            public void CloseForCrash() => _inner.Dispose();
        }
    }
}
