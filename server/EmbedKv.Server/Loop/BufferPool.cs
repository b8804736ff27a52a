using System;
using System.Collections.Generic;
using EmbedKv.Runtime.Memory;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// Fixed-size native blocks for connections that are busy with a request; an idle keep-alive
    /// connection gives its block back, so 10,000 idle connections cost no buffers. One pool per event
    /// loop, used only by its thread: no locks. Blocks come from mmap'd slabs that are never unmapped
    /// while the loop runs, so a block pointer stays valid.
    /// </summary>
    internal sealed unsafe class BufferPool : IDisposable
    {
        private const int BlocksPerSlab = 32;

        private readonly List<NativeRegion> _slabs = new List<NativeRegion>();
        private readonly Stack<nint> _free = new Stack<nint>(BlocksPerSlab * 8);

        public BufferPool(int blockSize) => BlockSize = (blockSize + 4095) & ~4095;

        public int BlockSize { get; }

        public int InUse { get; private set; }

        public byte* Rent()
        {
            if (_free.Count == 0)
            {
                NativeRegion slab = NativeRegion.Allocate((nuint)BlockSize * BlocksPerSlab);
                _slabs.Add(slab);
                for (int i = BlocksPerSlab - 1; i >= 0; i--)
                {
                    _free.Push((nint)(slab.Pointer + ((long)i * BlockSize)));
                }
            }

            InUse++;
            return (byte*)_free.Pop();
        }

        public void Return(byte* block)
        {
            InUse--;
            _free.Push((nint)block);
        }

        public void Dispose()
        {
            foreach (NativeRegion slab in _slabs)
            {
                slab.Dispose();
            }

            _slabs.Clear();
            _free.Clear();
        }
    }
}
