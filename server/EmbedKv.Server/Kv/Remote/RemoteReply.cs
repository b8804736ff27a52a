using System.Collections.Generic;
using System.Threading;
using EmbedKv.Server.Backends;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Kv.Remote
{
    /// <summary>What a remote backend's report was.</summary>
    internal enum RemoteOutcome : byte
    {
        None,
        Read,
        Written,
        Listed,
        Waited,
        Unavailable,
        Failed,
    }

    /// <summary>
    /// One request's report from a remote backend, made on the backend's thread and answered on the loop's: the
    /// outcome is kept here, then the loop is woken with the connection's token, as the local commit thread wakes
    /// it for a write; the loop hands the connection's handler back this reply. Only the first report counts.
    /// </summary>
    internal sealed class RemoteReply : IBackendReply
    {
        private readonly IWriteCompletion _completions;
        private readonly ulong _token;
        private readonly CancellationTokenSource _cancel = new CancellationTokenSource();
        private int _reported;

        public RemoteReply(IWriteCompletion completions, ulong token)
        {
            _completions = completions;
            _token = token;
        }

        public CancellationToken Cancellation => _cancel.Token;

        public RemoteOutcome Outcome { get; private set; }

        public BackendRead? ReadResult { get; private set; }

        public WriteResult WriteResult { get; private set; }

        public IReadOnlyList<BackendListedKey>? Keys { get; private set; }

        public bool More { get; private set; }

        public bool Changed { get; private set; }

        public string? Reason { get; private set; }

        /// <summary>Ends a wait early (the server stops): the backend reports it as run out, and the read is answered as the key stands.</summary>
        public void EndWait() => Cancel();

        /// <summary>The request is given up (its connection closed): the backend stops, and its report is dropped here.</summary>
        public void Abandon()
        {
            Interlocked.Exchange(ref _reported, 1);
            Cancel();
        }

        public void Read(BackendRead read)
        {
            if (Claim())
            {
                ReadResult = read;
                Report(RemoteOutcome.Read);
            }
        }

        public void Written(WriteResult result)
        {
            if (Claim())
            {
                WriteResult = result;
                Report(RemoteOutcome.Written);
            }
        }

        public void Listed(IReadOnlyList<BackendListedKey> keys, bool more)
        {
            if (Claim())
            {
                Keys = keys;
                More = more;
                Report(RemoteOutcome.Listed);
            }
        }

        public void Waited(bool changed)
        {
            if (Claim())
            {
                Changed = changed;
                Report(RemoteOutcome.Waited);
            }
        }

        public void Unavailable(string reason)
        {
            if (Claim())
            {
                Reason = reason;
                Report(RemoteOutcome.Unavailable);
            }
        }

        public void Failed(string reason)
        {
            if (Claim())
            {
                Reason = reason;
                Report(RemoteOutcome.Failed);
            }
        }

        private bool Claim() => Interlocked.Exchange(ref _reported, 1) == 0;

        // The completions' queue publishes everything written above to the loop that drains it.
        private void Report(RemoteOutcome outcome)
        {
            Outcome = outcome;
            _completions.OnWriteCompleted(_token, WriteOutcome.Created, 0);
        }

        // Not disposed: it has no timer, and a backend may still hold its token when the report is made. The
        // token's callbacks (gRPC's) run on the thread pool, never inline on the event loop that cancels.
        private void Cancel() => _ = _cancel.CancelAsync();
    }
}
