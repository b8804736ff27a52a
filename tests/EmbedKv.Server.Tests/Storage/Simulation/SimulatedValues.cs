using System;
using System.Text;

namespace EmbedKv.Server.Tests.Storage.Simulation
{
    /// <summary>The values the simulation writes, each tagged with its key and write id.</summary>
    internal static class SimulatedValues
    {
        /// <summary>A value that names its key and write: any value read back says which write it came from.</summary>
        public static byte[] Of(string key, int id, int length)
        {
            byte[] tag = Encoding.ASCII.GetBytes(key + "#" + id + ";");
            var value = new byte[Math.Max(length, tag.Length)];
            tag.CopyTo(value, 0);
            for (int i = tag.Length; i < value.Length; i++)
            {
                value[i] = (byte)((id * 31) + i);
            }

            return value;
        }

        /// <summary>Which write a value came from, for a failure's message.</summary>
        public static string Describe(byte[]? value)
        {
            if (value is null)
            {
                return "absent";
            }

            int end = Array.IndexOf(value, (byte)';');
            return (end > 0 ? Encoding.ASCII.GetString(value, 0, end) : "?") + " (" + value.Length + " B)";
        }
    }
}
