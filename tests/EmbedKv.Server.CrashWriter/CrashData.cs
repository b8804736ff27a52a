using System.Text;

namespace EmbedKv.Server.CrashWriter
{
    /// <summary>
    /// The bytes of a version, derived from the key and the version alone so the test can check them
    /// without being told. This file is compiled into the tests too (linked), so both sides compute exactly the same.
    /// </summary>
    internal static class CrashData
    {
        /// <summary>Longest value written (values are 0..20 KiB).</summary>
        public const int MaxValueLength = 20 * 1024;

        public static byte[] ValueOf(string key, string version)
        {
            // FNV-1a 64 of "key|version" (string.GetHashCode differs between processes).
            ulong hash = 14695981039346656037UL;
            foreach (byte b in Encoding.UTF8.GetBytes(key + "|" + version))
            {
                hash = (hash ^ b) * 1099511628211UL;
            }

            var value = new byte[(int)(hash % (MaxValueLength + 1))];
            ulong state = hash;
            for (int i = 0; i < value.Length; i++)
            {
                if ((i & 7) == 0)
                {
                    // SplitMix64.
                    state += 0x9E3779B97F4A7C15UL;
                    ulong z = state;
                    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
                    z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
                    hash = z ^ (z >> 31);
                }

                value[i] = (byte)(hash >> ((i & 7) * 8));
            }

            return value;
        }
    }
}
