using EmbedKv.Server.Http;
using EmbedKv.Server.Http.Exchange;
using EmbedKv.Server.Kv;
using EmbedKv.Server.Kv.Access;
using EmbedKv.Server.Kv.Remote;
using EmbedKv.Server.Storage;
using EmbedKv.Server.Storage.Watch;

namespace EmbedKv.Server.Loop
{
    /// <summary>What every connection of one event loop shares: the store (or the remote backend), the options, the exchanges' context, the buffers.</summary>
    internal sealed class LoopContext
    {
        public LoopContext(KvStore? store, KvServerOptions options, LoopCompletions completions, LoopKeyChanges keyChanges, RequestStats stats, AccessGuard guard, BackendHealth? backendHealth)
        {
            BackendHealth = backendHealth;
            Guard = guard.ForLoop();
            Store = store;
            Options = options;
            Completions = completions;
            KeyChanges = keyChanges;
            // On a remote backend nothing parks here (its waits are the backend's watches): a feed of its own, never fed.
            Waits = new WaitingReads(store?.Changes ?? new KeyChangeFeed(), keyChanges);
            Exchange = new ExchangeContext(options.Limits, stats, KvHandler.AreaSize(options.Limits));
            Buffers = new BufferPool(Exchange.Layout.BlockSize);
            Pages = new ListingPages();
            Parts = new ExchangeParts.Pool(this);
        }

        /// <summary>The local store; null when the server runs on a remote backend (<see cref="KvServerOptions.Backend"/>).</summary>
        public KvStore? Store { get; }

        /// <summary>The remote backend's failures, counted and logged for every loop; null on the local store.</summary>
        public BackendHealth? BackendHealth { get; }

        /// <summary>This loop's long-polls on a remote backend, ended when the server stops.</summary>
        public RemoteWaits RemoteWaits { get; } = new RemoteWaits();

        public KvServerOptions Options { get; }

        /// <summary>Who may do what: the server's tokens, shared by every loop.</summary>
        public AccessGuard Guard { get; }

        /// <summary>Limits, date line, request figures and the stopping flag every exchange of this loop reads.</summary>
        public ExchangeContext Exchange { get; }

        public BufferPool Buffers { get; }

        /// <summary>Native buffers for listing pages on their way out.</summary>
        public ListingPages Pages { get; }

        /// <summary>The exchanges and handlers of this loop's connections that are not idle (see <see cref="ExchangeParts"/>).</summary>
        public ExchangeParts.Pool Parts { get; }

        public LoopCompletions Completions { get; }

        /// <summary>The store's reports of changed keys this loop's long-polls wait on.</summary>
        public LoopKeyChanges KeyChanges { get; }

        /// <summary>This loop's long-polls (GETs with Prefer: wait that wait for their key to change).</summary>
        public WaitingReads Waits { get; }
    }
}
