namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>
    /// How the one block a connection rents while a request is under way is divided: input (a whole head
    /// plus room for the body bytes that follow it), output (response heads and small values, pipelined),
    /// and the handler's own area (for the key-value handler: the decoded key and a small body).
    /// </summary>
    internal readonly struct BlockLayout
    {
        public const int OutputSize = 16 * 1024;

        public BlockLayout(HttpLimits limits, int handlerSize)
        {
            ReadSize = limits.MaxHeaderBytes + (16 * 1024);
            OutputOffset = ReadSize;
            HandlerOffset = OutputOffset + OutputSize;
            HandlerSize = handlerSize;
            BlockSize = HandlerOffset + handlerSize;
        }

        public int ReadSize { get; }

        public int OutputOffset { get; }

        public int HandlerOffset { get; }

        public int HandlerSize { get; }

        public int BlockSize { get; }
    }
}
