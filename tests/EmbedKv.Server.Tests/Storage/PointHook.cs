using System;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage
{
    /// <summary>
    /// A schedule without the store's threads that runs a test's action at the store's named points, and a
    /// commit round wherever a merge waits: one thread drives everything, so the interleaving is fixed.
    /// </summary>
    internal sealed class PointHook : StoreSchedule
    {
        public override bool StartsThreads => false;

        /// <summary>The store, for the commit rounds a waiting merge needs.</summary>
        public KvStore? Store { get; set; }

        /// <summary>Called with each point's name ("merge.committed", "checkpoint.file", …).</summary>
        public Action<string>? AtPoint { get; set; }

        public override void Point(string name) => AtPoint?.Invoke(name);

        public override void Idle() => Store?.RunCommitRound();
    }
}
