using System.Globalization;

namespace EmbedKv.Server.Tests.Storage.HttpKill
{
    internal enum KillOpKind
    {
        /// <summary>PUT or POST: the key's state becomes the write's id.</summary>
        Write,

        /// <summary>DELETE: the key's state becomes absent (whether it answered 204 or 404).</summary>
        Delete,

        /// <summary>GET: saw <see cref="KillOp.State"/>.</summary>
        Read,
    }

    /// <summary>
    /// One request of the HTTP kill test on one key, with the moments it was sent and answered on the
    /// test's one logical clock (<see cref="KillClock"/>): sent is taken before its first byte leaves,
    /// answered after its whole response arrived, so "answered before sent" is real-time order the server
    /// saw too. A request with no whole answer (the server was killed) has an unknown outcome.
    /// </summary>
    internal sealed class KillOp
    {
        public KillOp(string key, KillOpKind kind, long state, string what, long sent)
        {
            Key = key;
            Kind = kind;
            State = state;
            What = what;
            Sent = sent;
        }

        public string Key { get; }

        public KillOpKind Kind { get; }

        /// <summary>The state written (a write's id, or absent for a delete), or the state a read saw.</summary>
        public long State { get; set; }

        /// <summary>The request as sent, such as "PUT 1048576 B chunked".</summary>
        public string What { get; }

        public long Sent { get; }

        /// <summary>When the whole answer arrived; long.MaxValue while there is none.</summary>
        public long Answered { get; private set; } = long.MaxValue;

        public int Status { get; private set; }

        public bool Acknowledged => Answered != long.MaxValue;

        public void Acknowledge(int status, long answered)
        {
            Status = status;
            Answered = answered;
        }

        public override string ToString() =>
            (Kind == KillOpKind.Read ? "GET saw " + KillValue.Describe(State) : What + (Kind == KillOpKind.Write ? " " + KillValue.Describe(State) : string.Empty))
            + " [sent " + Sent.ToString(CultureInfo.InvariantCulture) + ", "
            + (Acknowledged ? "answered " + Status.ToString(CultureInfo.InvariantCulture) + " at " + Answered.ToString(CultureInfo.InvariantCulture) : "no answer: in flight at the kill") + "]";
    }

    /// <summary>The test's logical clock: one counter every client thread ticks, so stamps order events across threads.</summary>
    internal static class KillClock
    {
        private static long s_now;

        public static long Tick() => System.Threading.Interlocked.Increment(ref s_now);
    }
}
