using System.Threading;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>Lets a thread wait for its own write; one per thread, reused, so waiting allocates nothing.</summary>
    internal sealed class WriteWaiter : IWriteCompletion
    {
        private readonly ManualResetEventSlim _done = new ManualResetEventSlim(false, spinCount: 0);
        private WriteOutcome _outcome;

        public void Reset() => _done.Reset();

        public WriteOutcome Wait()
        {
            _done.Wait();
            return _outcome;
        }

        public void OnWriteCompleted(ulong token, WriteOutcome outcome)
        {
            _outcome = outcome;
            _done.Set();
        }
    }
}
