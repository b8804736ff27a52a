using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Tasks;
using EmbedKv.Server.Tests.Server;

namespace EmbedKv.Server.Tests.Api.Contract
{
    /// <summary>
    /// Where an API suite's servers keep their keys: the local store (Api/LocalBackend) or a real etcd cluster
    /// (EmbedKv.Etcd.Tests, Api/EtcdApiBackend). Each suite in this folder is an abstract class given one; a subclass
    /// per backend runs all its tests, so every rule they check is checked on both. The members below are the
    /// differences docs/etcd.md ("Where etcd differs") lists that the suites meet, each named rather than skipped.
    /// </summary>
    internal abstract class ApiBackend
    {
        /// <summary>A fresh server: an empty store of its own, <paramref name="configure"/> applied to its options.</summary>
        public abstract TestServer Start(Action<KvServerOptions>? configure = null);

        /// <summary>Long-polls under way on <paramref name="server"/>: parked in its loops, or watching etcd.</summary>
        public abstract int WaitingReads(TestServer server);

        /// <summary>
        /// Whether a write's conditions are judged before its body is read, so <c>Expect: 100-continue</c> can be
        /// answered 412 instead of 100: on the local store; on etcd the body comes first (a round trip while the
        /// client waits), and the 412 after it.
        /// </summary>
        public abstract bool JudgesConditionsBeforeTheBody { get; }

        /// <summary>
        /// The size of the large value a suite stores: 3 MiB on the local store (past every buffer, sent by
        /// sendfile); 1 MiB on etcd, whose requests are at most 1.5 MiB (docs/etcd.md, Limits).
        /// </summary>
        public abstract int LargeValueLength { get; }

        /// <summary>
        /// How long past its <c>Expires</c> an expired key may still be in a listing, still fail
        /// <c>If-None-Match: *</c> and still hold a long-poll on it: not at all on the local store; on etcd until the
        /// leader revokes its lease, a lessor tick and a Raft round after the lease's end (docs/etcd.md, Expiry).
        /// </summary>
        public abstract TimeSpan ExpiryLag { get; }

        /// <summary>
        /// The rounds of a race between clients (increments, creations): 200 on the local store; fewer on etcd,
        /// where each write is a Raft round, yet enough for the clients to collide.
        /// </summary>
        public abstract int RaceRounds { get; }

        /// <summary>
        /// Whether <paramref name="holds"/> holds now, or on etcd within <see cref="ExpiryLag"/>: asked again every
        /// 100 ms until it does, so a test waits no longer than the backend needs.
        /// </summary>
        public bool HoldsWithinExpiryLag(Func<bool> holds)
        {
            var clock = Stopwatch.StartNew();
            while (!holds())
            {
                if (clock.Elapsed >= ExpiryLag)
                {
                    return false;
                }

                Thread.Sleep(100);
            }

            return true;
        }

        /// <inheritdoc cref="HoldsWithinExpiryLag"/>
        public async Task<bool> HoldsWithinExpiryLagAsync(Func<Task<bool>> holds)
        {
            var clock = Stopwatch.StartNew();
            while (!await holds())
            {
                if (clock.Elapsed >= ExpiryLag)
                {
                    return false;
                }

                await Task.Delay(100);
            }

            return true;
        }
    }
}
