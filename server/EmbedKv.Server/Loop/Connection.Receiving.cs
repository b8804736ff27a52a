using System;
using EmbedKv.Runtime.Interop;
using EmbedKv.Runtime.Net;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// A connection's way in: input read into its block while there is room (a short read means the
    /// socket is empty for now), compacted as requests are consumed, and the block given back when the
    /// connection goes idle.
    /// </summary>
    internal sealed unsafe partial class Connection
    {
        /// <summary>Reads more input; false if none is there now (EAGAIN) or the connection ended.</summary>
        private bool Receive(long now)
        {
            if (_block is null)
            {
                _block = _context.Buffers.Rent();
            }

            if (_readEnd == _context.Layout.ReadSize)
            {
                CompactInput();
                if (_readEnd == _context.Layout.ReadSize)
                {
                    return true; // full of input still to process: no room to read, nothing lost
                }
            }

            Span<byte> room = Input.Slice(_readEnd);
            nint received = SocketOps.Receive(Fd, room);
            if (received > 0)
            {
                _inputDrained = received < room.Length && !_peerHungUp;
                _readEnd += (int)received;
                _turnBytes += (int)received;
                _context.Stats.Received(received);
                return true;
            }

            if (received == -Sys.EAGAIN)
            {
                _inputDrained = true;
                ReleaseBlockIfIdle();
                return false;
            }

            // End of stream or a reset: a half-received body is abandoned, never stored.
            Close();
            return false;
        }

        private void CompactInput()
        {
            if (_readStart == 0)
            {
                return;
            }

            int length = _readEnd - _readStart;
            Input.Slice(_readStart, length).CopyTo(Input);
            _readStart = 0;
            _readEnd = length;
        }

        /// <summary>An idle keep-alive connection holds no buffer.</summary>
        private void ReleaseBlockIfIdle()
        {
            if (!Busy && _readEnd == _readStart)
            {
                ReleaseBlock();
            }
        }

        private void ReleaseBlock()
        {
            if (_block is not null)
            {
                _context.Buffers.Return(_block);
                _block = null;
                _readStart = _readEnd = 0;
            }
        }
    }
}
