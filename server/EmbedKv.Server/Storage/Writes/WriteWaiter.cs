using System.Threading;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>Lets a thread wait for its own write; one per thread, reused, so waiting allocates nothing.</summary>
    internal sealed class WriteWaiter : IWriteCompletion
    {
        private readonly ManualResetEventSlim _done = new ManualResetEventSlim(false, spinCount: 0);
        private WriteResult _result;

        public void Reset() => _done.Reset();

        public WriteResult Wait()
        {
            _done.Wait();
            return _result;
        }

        public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
        {
            _result = new WriteResult(outcome, version);
            _done.Set();
        }
    }
}
