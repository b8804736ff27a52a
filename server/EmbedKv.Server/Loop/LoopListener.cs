using System;
using EmbedKv.Runtime;
using EmbedKv.Runtime.Events;
using EmbedKv.Runtime.Interop;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// One listening socket in one loop's epoll, with its accept gate: the TCP listener (the loop's own under
    /// SO_REUSEPORT, or one shared by all loops), and the Unix domain socket's, which every loop shares since
    /// Unix sockets have no SO_REUSEPORT. A shared listener is registered EPOLLEXCLUSIVE, so one loop wakes
    /// per connection rather than all of them.
    /// </summary>
    internal sealed class LoopListener : IDisposable
    {
        public LoopListener(Epoll epoll, FileDescriptor socket, bool shared, ulong tag, DescriptorShortage shortage)
        {
            Socket = socket;
            Tag = tag;
            uint events = Sys.EPOLLIN | (shared ? Sys.EPOLLEXCLUSIVE : 0u);
            Gate = new AcceptGate(epoll, socket.Value, events, tag, shortage);
        }

        /// <summary>The listening socket; the server owns it and closes it after the loops.</summary>
        public FileDescriptor Socket { get; }

        /// <summary>What epoll reports for this listener.</summary>
        public ulong Tag { get; }

        public AcceptGate Gate { get; }

        public void Dispose() => Gate.Dispose();
    }
}
