using EmbedKv.Runtime.Net;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// A stored value going out by sendfile after a connection's queued output: the store's file region,
    /// how much of it is still to send, and the reference on its segment, released when it is all sent or
    /// dropped (so a merge may delete the file only after the last reader).
    /// </summary>
    internal struct OutgoingValue
    {
        private StoredValue _value;
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

        /// <summary>Sends more of it to <paramref name="socket"/>: the bytes sent, 0 if the file ended early, or -errno.</summary>
        public nint SendMore(int socket)
        {
            nint sent = SocketOps.SendFile(socket, _value.FileDescriptor, ref _offset, _remaining);
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
            if (Active)
            {
                Active = false;
                _value.Release();
            }
        }
    }
}
