using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>A real directory whose next fdatasync of one named file waits until the test releases it.</summary>
    internal sealed class GatedDirectory : IStorageDirectory
    {
        private readonly IStorageDirectory _real;
        private readonly ManualResetEventSlim _held = new ManualResetEventSlim(false);
        private readonly ManualResetEventSlim _released = new ManualResetEventSlim(false);
        private string? _holdName;

        public GatedDirectory(string path) => _real = NativeStorageDirectory.Open(path);

        public string Path => _real.Path;

        public void HoldNextSync(string name) => Volatile.Write(ref _holdName, name);

        public void WaitUntilHeld() => Assert.True(_held.Wait(TimeSpan.FromSeconds(30)), "the commit thread never synced");

        public void Release() => _released.Set();

        public IStorageFile Open(string name, FileMode mode) => new GatedFile(this, _real.Open(name, mode));

        public void Rename(string from, string to) => _real.Rename(from, to);

        public bool TryDelete(string name) => _real.TryDelete(name);

        public void Sync() => _real.Sync();

        public IReadOnlyList<string> List() => _real.List();

        public bool TryLock() => _real.TryLock();

        public bool TryLink(string name, CheckpointDirectory target) => _real.TryLink(name, target);

        public void Dispose() => _real.Dispose();

        private sealed class GatedFile : IStorageFile
        {
            private readonly GatedDirectory _owner;
            private readonly IStorageFile _inner;

            public GatedFile(GatedDirectory owner, IStorageFile inner)
            {
                _owner = owner;
                _inner = inner;
            }

            public string Name => _inner.Name;

            public EmbedKv.Runtime.FileDescriptor Descriptor => _inner.Descriptor;

            public long Length => _inner.Length;

            public int ReadAt(Span<byte> buffer, long offset) => _inner.ReadAt(buffer, offset);

            public void WriteAt(ReadOnlySpan<byte> data, long offset) => _inner.WriteAt(data, offset);

            public void DataSync()
            {
                _inner.DataSync();
                if (Name == Interlocked.CompareExchange(ref _owner._holdName, null, Name))
                {
                    // Synced but not yet applied to the index: the window a merge must respect.
                    _owner._held.Set();
                    _owner._released.Wait();
                }
            }

            public void Truncate(long length) => _inner.Truncate(length);

            public bool TryPreallocate(long length) => _inner.TryPreallocate(length);

            public void AdviseSequential() => _inner.AdviseSequential();

            public void Dispose() => _inner.Dispose();
        }
    }
}
