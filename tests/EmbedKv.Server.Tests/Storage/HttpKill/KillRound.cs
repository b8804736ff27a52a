using System.Collections.Generic;
using System.Linq;
using System.Threading;

namespace EmbedKv.Server.Tests.Storage.HttpKill
{
    /// <summary>What the clients of one round did: every request they sent, and anything that went wrong before the kill.</summary>
    internal sealed class KillRound
    {
        private readonly List<KillOp> _ops = new List<KillOp>();
        private readonly List<string> _failures = new List<string>();
        private int _answered;
        private volatile bool _killing;

        public KillRound(int number, string durability)
        {
            Number = number;
            Durability = durability;
        }

        public int Number { get; }

        public string Durability { get; }

        /// <summary>Set just before SIGKILL: from then on a broken connection is the kill, not a failure.</summary>
        public bool Killing => _killing;

        public int Answered => Volatile.Read(ref _answered);

        public IReadOnlyList<KillOp> Ops
        {
            get
            {
                lock (_ops)
                {
                    return _ops.ToList();
                }
            }
        }

        public IReadOnlyList<string> Failures
        {
            get
            {
                lock (_failures)
                {
                    return _failures.ToList();
                }
            }
        }

        public void BeginKill() => _killing = true;

        /// <summary>Records a request before its first byte is sent, so one the kill cut off is still known.</summary>
        public KillOp Add(KillOp op)
        {
            lock (_ops)
            {
                _ops.Add(op);
            }

            return op;
        }

        public void Acknowledge(KillOp op, int status)
        {
            op.Acknowledge(status, KillClock.Tick());
            Interlocked.Increment(ref _answered);
        }

        public void Fail(string failure)
        {
            lock (_failures)
            {
                _failures.Add(failure);
            }
        }
    }
}
