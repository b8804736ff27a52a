using System.Collections.Generic;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Kv;
using EmbedKv.Server.Kv.Remote;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// What a connection needs only while a request is under way: the windows of its block, the HTTP/1.1
    /// exchange and the key-value handler behind it (on the local store, or on a remote backend). Kestrel pools its Http1Connection state the same way.
    /// A connection rents a set when it is driven and gives it back when it goes idle, as it does its block,
    /// so an idle keep-alive connection holds only its socket's state: the split into parts cost 344 bytes
    /// per idle connection when each connection owned a set (224 bytes before the split, 568 after).
    /// </summary>
    internal sealed class ExchangeParts
    {
        private ExchangeParts(LoopContext context, SocketConnection connection)
        {
            Buffers = new ConnectionBuffers(context.Exchange.Layout);
            var responses = new ResponseComposer(context.Exchange, Buffers);
            Handler = context.Store is { } store
                ? new KvHandler(store, context.Options, context.Completions, Buffers, responses, connection, connection, connection, context.Pages, context.Guard)
                : new RemoteKvHandler(context.Options.Backend!, context.Options, context.Completions, Buffers, responses, connection, connection, context.Pages, context.Guard, context.RemoteWaits, context.BackendHealth!);
            Exchange = new Http1Exchange(context.Exchange, Buffers, responses, Handler, connection);
        }

        public ConnectionBuffers Buffers { get; }

        public IKvHandler Handler { get; }

        public Http1Exchange Exchange { get; }

        /// <summary>One loop's sets not in use; only the loop's thread touches it.</summary>
        internal sealed class Pool
        {
            private readonly Stack<ExchangeParts> _free = new Stack<ExchangeParts>();
            private readonly LoopContext _context;

            public Pool(LoopContext context) => _context = context;

            /// <summary>Sets made so far: as many as were ever in use at once (read by tests).</summary>
            public int Created { get; private set; }

            /// <summary>Sets not in use now.</summary>
            public int Free => _free.Count;

            /// <summary>A set for <paramref name="connection"/>, taking it up where its idle state left it.</summary>
            public ExchangeParts Rent(SocketConnection connection, in SuspendedExchange suspended)
            {
                if (!_free.TryPop(out ExchangeParts? parts))
                {
                    parts = new ExchangeParts(_context, connection);
                    Created++;
                }

                parts.Handler.Bind(connection, connection, connection, connection.Token);
                parts.Exchange.Resume(connection, suspended);
                return parts;
            }

            public void Return(ExchangeParts parts) => _free.Push(parts);
        }
    }
}
