namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>What a receive did.</summary>
    internal enum ReceiveStatus : byte
    {
        /// <summary>Bytes arrived (see <see cref="IExchangeTransport.InputDrained"/> for whether more may wait).</summary>
        Received,

        /// <summary>The input window is full of bytes still to process: nothing was read, nothing is lost.</summary>
        NoRoom,

        /// <summary>Nothing is there now; readiness will be reported when something arrives.</summary>
        Empty,

        /// <summary>End of stream or an error: the transport has closed.</summary>
        Closed,
    }

    /// <summary>What a send of the queued output (and of a value after it) did.</summary>
    internal enum SendStatus : byte
    {
        /// <summary>There was nothing to send.</summary>
        Nothing,

        /// <summary>Everything queued went out.</summary>
        Sent,

        /// <summary>Some went out, then the peer's window filled: the rest waits for writability.</summary>
        Stalled,

        /// <summary>Nothing could go out: the rest waits for writability.</summary>
        Full,

        /// <summary>A large value is still going out, but this turn's byte budget is spent: send more next turn.</summary>
        Yield,

        /// <summary>The peer is gone or the value could not be read: the transport has closed.</summary>
        Closed,
    }

    /// <summary>
    /// The byte stream under an <see cref="Http1Exchange"/>, as Kestrel's transport is under its
    /// Http1Connection: the event loop's socket in the server, memory in the exchange tests. It moves
    /// bytes between the peer and the <see cref="ConnectionBuffers"/> and counts the turn's budget; what
    /// the bytes mean is the exchange's business.
    /// </summary>
    internal interface IExchangeTransport
    {
        bool IsOpen { get; }

        /// <summary>The last receive got less than it offered: the peer had nothing more at that moment.</summary>
        bool InputDrained { get; }

        /// <summary>This turn moved as many bytes as one connection may before the loop serves the others.</summary>
        bool TurnBytesSpent { get; }

        /// <summary>A value is still going out after the queued output (it must finish before another answer is queued).</summary>
        bool SendingValue { get; }

        ReceiveStatus Receive();

        SendStatus Send();

        /// <summary>Shuts down our direction only: the answer is out and what still arrives is read and dropped.</summary>
        void ShutdownOutput();

        /// <summary>Gives the block back: the connection is idle, with nothing unread and nothing unsent.</summary>
        void ReleaseBuffers();

        void Close();
    }
}
