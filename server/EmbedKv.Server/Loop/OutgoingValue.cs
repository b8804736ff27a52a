using System;
using EmbedKv.Runtime.Memory;
using EmbedKv.Runtime.Net;
using EmbedKv.Server.Kv;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// A stored value going out by sendfile after a connection's queued output: the store's file region,
    /// how much of it is still to send, and the reference on its segment, released when it is all sent or
    /// dropped (so a merge may delete the file only after the last reader). Or a listing page in memory,
    /// sent with send and given back to its pool the same way.
    /// </summary>
    internal unsafe struct OutgoingValue
    {
        private StoredValue _value;
        private NativeRegion? _page;
        private ListingPages? _pages;
        private long _offset;
        private long _remaining;

        public bool Active { get; private set; }

        public void Start(StoredValue value)
        {
            _value = value;
            _offset = value.FileOffset;
            _remaining = value.Length;
            Active = true;
        }

        /// <summary>A listing page in memory instead: sent with send, then given back to its pool.</summary>
        public void Start(NativeRegion page, int length, ListingPages pages)
        {
            _page = page;
            _pages = pages;
            _offset = 0;
            _remaining = length;
            Active = true;
        }

        /// <summary>Sends more of it to <paramref name="socket"/>: the bytes sent, 0 if the file ended early, or -errno.</summary>
        public nint SendMore(int socket)
        {
            nint sent = _page is { } page
                ? SocketOps.Send(socket, new ReadOnlySpan<byte>(page.Pointer + _offset, (int)_remaining))
                : SocketOps.SendFile(socket, _value.FileDescriptor, ref _offset, _remaining);
            if (sent > 0 && _page is not null)
            {
                _offset += sent;
            }

            if (sent > 0)
            {
                _remaining -= sent;
                if (_remaining == 0)
                {
                    Drop();
                }
            }

            return sent;
        }

        public void Drop()
        {
            if (!Active)
            {
                return;
            }

            Active = false;
            if (_page is { } page)
            {
                _page = null;
                _pages!.Return(page);
                _pages = null;
                return;
            }

            _value.Release();
        }
    }
}
