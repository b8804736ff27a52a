using System.Collections.Generic;
using System.Linq;

namespace EmbedKv.Server.Storage
{
    /// <summary>What <see cref="StoreCheck.Check"/> found in a data directory.</summary>
    public sealed class CheckReport
    {
        internal CheckReport(IReadOnlyList<CheckFinding> findings, int segments, long records, int keys, long bytes)
        {
            Findings = findings;
            Segments = segments;
            Records = records;
            Keys = keys;
            Bytes = bytes;
        }

        /// <summary>Every finding, one per file and problem, in directory order then segment order.</summary>
        public IReadOnlyList<CheckFinding> Findings { get; }

        /// <summary>Segment files read.</summary>
        public int Segments { get; }

        /// <summary>Valid records read (live or dead), up to the first bad record of each segment.</summary>
        public long Records { get; }

        /// <summary>Live keys those records give, the highest sequence winning and tombstones removing.</summary>
        public int Keys { get; }

        /// <summary>Bytes of the segment files, headers and any bad tail included.</summary>
        public long Bytes { get; }

        /// <summary>Whether any segment is damaged (the store will not open); torn tails and leftovers are not damage.</summary>
        public bool IsDamaged => Findings.Any(f => f.IsDamage);

        /// <summary>One line: "summary: 3 segments, 120 records, 100 keys, 40960 bytes; 1 damaged, 1 torn tail; damaged".</summary>
        public string Summary
        {
            get
            {
                var counts = Findings.GroupBy(f => f.Kind).OrderBy(g => g.Key).Select(g => Count(g.Count(), CheckFinding.Label(g.Key)));
                string found = Findings.Count == 0 ? "no findings" : string.Join(", ", counts);
                return "summary: " + Count(Segments, "segment") + ", " + Count(Records, "record") + ", " + Count(Keys, "key") + ", " + Count(Bytes, "byte") + "; "
                    + found + "; " + (IsDamaged ? "damaged" : "clean");
            }
        }

        /// <summary>"1 segment", "2 segments"; "damaged" and "set aside" stay as they are.</summary>
        internal static string Count(long n, string what)
            => n + " " + (n == 1 || what is "damaged" or "set aside" ? what : what + "s");
    }
}
