using System;
using System.Collections.Generic;
using EmbedKv.Runtime.Memory;

namespace EmbedKv.Server.Kv
{
    /// <summary>
    /// Native buffers for listing pages (and for a remote backend's values on their way out), one pool per event loop (used by its thread only: no locks). A
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

        /// <summary>
        /// A page of at least <paramref name="length"/> bytes: a pooled one if that is enough, else one of its
        /// own (a remote backend's value larger than a page), unmapped when it comes back.
        /// </summary>
        public NativeRegion RentAtLeast(int length) => length <= PageSize ? Rent() : NativeRegion.Allocate((nuint)length);

        public void Return(NativeRegion page)
        {
            if (page.Length == PageSize && _free.Count < KeptFree)
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
