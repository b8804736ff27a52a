using System;
using System.Threading;

namespace EmbedKv.Client
{
    /// <summary>
    /// How long one try may go without progress: until the answer's head, then between chunks of a streamed
    /// body. A large value that keeps flowing is never cut; a stalled one is, after the same limit.
    /// </summary>
    internal sealed class Deadline : IDisposable
    {
        private readonly CancellationTokenSource _source;
        private readonly TimeSpan _limit;

        public Deadline(TimeSpan limit, CancellationToken cancellation)
        {
            _limit = limit;
            _source = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            Extend();
        }

        /// <summary>Cancelled when the limit passes without progress, or when the caller cancels.</summary>
        public CancellationToken Token => _source.Token;

        /// <summary>The limit, for messages.</summary>
        public TimeSpan Limit => _limit;

        /// <summary>Progress was made: the limit counts again from now.</summary>
        public void Extend()
        {
            if (_limit == Timeout.InfiniteTimeSpan)
            {
                return;
            }

            try
            {
                _source.CancelAfter(_limit);
            }
            catch (ObjectDisposedException)
            {
                // The try is over (a body read after its answer, by a handler that sends late): nothing to extend.
            }
        }

        public void Dispose() => _source.Dispose();
    }
}
