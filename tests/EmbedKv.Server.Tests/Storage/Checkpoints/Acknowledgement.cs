using System;
using System.Threading;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Tests.Storage.Checkpoints
{
    /// <summary>One write's answer (outcome and version), for the internal Begin… calls.</summary>
    internal sealed class Acknowledgement : IWriteCompletion
    {
        private readonly ManualResetEventSlim _done = new ManualResetEventSlim(false);

        public WriteOutcome Outcome { get; private set; }

        public ulong Version { get; private set; }

        public bool IsDone => _done.IsSet;

        public void OnWriteCompleted(ulong token, WriteOutcome outcome, ulong version)
        {
            Outcome = outcome;
            Version = version;
            _done.Set();
        }

        public Acknowledgement Wait()
        {
            Assert.True(_done.Wait(TimeSpan.FromSeconds(30)), "the write was never answered");
            return this;
        }
    }
}
