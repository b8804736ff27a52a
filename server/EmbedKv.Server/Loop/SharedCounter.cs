using System.Threading;

namespace EmbedKv.Server.Loop
{
    /// <summary>Open connections across all loops, against the server's cap.</summary>
    internal sealed class SharedCounter
    {
        private int _value;

        public int Value => Volatile.Read(ref _value);

        public bool TryIncrement(int limit)
        {
            while (true)
            {
                int current = Volatile.Read(ref _value);
                if (current >= limit)
                {
                    return false;
                }

                if (Interlocked.CompareExchange(ref _value, current + 1, current) == current)
                {
                    return true;
                }
            }
        }

        public void Decrement() => Interlocked.Decrement(ref _value);
    }
}
