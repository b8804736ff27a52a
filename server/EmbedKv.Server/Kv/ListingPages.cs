using System;
using System.Collections.Generic;
using EmbedKv.Runtime.Memory;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// Native buffers for listing pages, one pool per event loop (used by its thread only: no locks). A
    /// page is written whole before it goes out, and the transport gives it back once it is sent; a few
    /// stay mapped for the next listing, the rest are unmapped, so a burst of listings leaves no memory behind.
    /// </summary>
    internal sealed class ListingPages : IDisposable
    {
        /// <summary>The most JSON one page holds (docs/api.md, "Listing"): past it the page ends early, with next.</summary>
        public const int PageSize = 256 * 1024;

        private const int KeptFree = 4;

        private readonly Stack<NativeRegion> _free = new Stack<NativeRegion>();

        public NativeRegion Rent() => _free.Count > 0 ? _free.Pop() : NativeRegion.Allocate(PageSize);

        public void Return(NativeRegion page)
        {
            if (_free.Count < KeptFree)
            {
                _free.Push(page);
            }
            else
            {
                page.Dispose();
            }
        }

        public void Dispose()
        {
            while (_free.Count > 0)
            {
                _free.Pop().Dispose();
            }
        }
    }
}
