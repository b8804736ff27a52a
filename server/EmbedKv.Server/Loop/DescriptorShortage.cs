using System.Threading;
using EmbedKv.Runtime;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Loop
{
    /// <summary>
    /// Episodes in which accepting fails for want of descriptors or kernel memory, shared by all of a
    /// server's loops so that the log tells each episode once, however many loops run into it and however
    /// often they retry: a warning when the first loop cannot accept, an information line when the last
    /// one accepts again, with how many clients were answered 503 meanwhile.
    /// </summary>
    internal sealed class DescriptorShortage
    {
        private readonly ILogger _logger;
        private readonly object _lock = new object();
        private int _loopsShort;
        private long _since;
        private long _refused;

        public DescriptorShortage(ILogger logger) => _logger = logger;

        /// <summary>A loop could not accept (<paramref name="error"/> is accept's -errno) and pauses for <paramref name="backOffMilliseconds"/>.</summary>
        public void Began(int error, int backOffMilliseconds, long now)
        {
            lock (_lock)
            {
                if (_loopsShort++ > 0)
                {
                    return;
                }

                _since = now;
                Interlocked.Exchange(ref _refused, 0);
            }

            LoopLog.AcceptPaused(_logger, Errno.FromResult(error).Name, backOffMilliseconds);
        }

        /// <summary>A client was answered 503 because no descriptor was left for it.</summary>
        public void Refused() => Interlocked.Increment(ref _refused);

        /// <summary>A loop that had <see cref="Began"/> accepts again.</summary>
        public void Ended(long now)
        {
            long since;
            lock (_lock)
            {
                if (--_loopsShort > 0)
                {
                    return;
                }

                since = _since;
            }

            LoopLog.AcceptResumed(_logger, now - since, Interlocked.Read(ref _refused));
        }
    }
}
