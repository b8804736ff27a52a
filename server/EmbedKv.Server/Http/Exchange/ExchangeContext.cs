namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>What every exchange of one event loop shares: the limits, the date line, the request figures, and whether the server is stopping.</summary>
    internal sealed class ExchangeContext
    {
        public ExchangeContext(HttpLimits limits, RequestStats stats, int handlerSize)
        {
            Limits = limits;
            Stats = stats;
            Layout = new BlockLayout(limits, handlerSize);
        }

        public HttpLimits Limits { get; }

        /// <summary>This loop's request figures, written by the loop's thread alone.</summary>
        public RequestStats Stats { get; }

        public HttpDate Date { get; } = new HttpDate();

        public BlockLayout Layout { get; }

        /// <summary>True once the server is stopping: answers say Connection: close and nothing after them is read.</summary>
        public bool Stopping { get; set; }
    }
}
