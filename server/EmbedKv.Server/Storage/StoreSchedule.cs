using System.Threading;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// The seams where a deterministic simulation takes over the store's own threads (docs/storage.md,
    /// "Simulation"), as FoundationDB's simulator and TigerBeetle's VOPR do. By default the store runs its
    /// commit and merge threads, points are no-ops and an idle wait sleeps. A test subclass starts no
    /// threads, drives commit rounds and merges itself, and runs other work (client operations, commit
    /// rounds, crashes) at each point, so that one seed fixes every interleaving.
    /// </summary>
    internal class StoreSchedule
    {
        /// <summary>The production schedule: real threads.</summary>
        public static readonly StoreSchedule Threads = new StoreSchedule();

        /// <summary>
        /// False: the store starts no commit or merge thread; whoever opened it calls
        /// <see cref="KvStore.RunCommitRound"/> and <see cref="KvStore.RunMergeIfDue"/>.
        /// </summary>
        public virtual bool StartsThreads => true;

        /// <summary>A place where another part of the store may run before this one goes on.</summary>
        /// <param name="name">Where: "commit.synced", "merge.inputs", … (see the callers).</param>
        public virtual void Point(string name)
        {
        }

        /// <summary>This thread waits for another part of the store (a merge waiting for the commit thread).</summary>
        public virtual void Idle() => Thread.Sleep(1);
    }
}
