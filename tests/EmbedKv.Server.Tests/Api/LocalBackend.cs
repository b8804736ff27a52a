using System;
using EmbedKv.Server.Tests.Api.Contract;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api
{
    /// <summary>The API suites (Api/Contract) on the local store: a fresh data directory per server.</summary>
    internal sealed class LocalBackend : ApiBackend
    {
        public static readonly LocalBackend Instance = new LocalBackend();

        public override bool JudgesConditionsBeforeTheBody => true;

        public override int LargeValueLength => 3 << 20;

        public override TimeSpan ExpiryLag => TimeSpan.Zero;

        public override int RaceRounds => 200;

        public override TestServer Start(Action<KvServerOptions>? configure = null) => TestServer.Start(configure);

        public override int WaitingReads(TestServer server) => server.Server.WaitingReads;
    }
}
