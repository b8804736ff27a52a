using System;
using System.Globalization;

namespace EmbedKv.Server.Storage.Format
{
    /// <summary>Names of the files in a data directory (docs/storage.md, "Files in a data directory").</summary>
    internal static class FileNames
    {
        public const string TempSuffix = ".tmp";
        public const string PartialSuffix = ".partial";
        public const string Manifest = "merge.manifest";
        public const string ManifestTemp = Manifest + TempSuffix;

        private const string SegmentPrefix = "seg-";
        private const string SegmentSuffix = ".log";

        public static string Segment(uint id) => SegmentPrefix + id.ToString("D8", CultureInfo.InvariantCulture) + SegmentSuffix;

        public static string SegmentTemp(uint id) => Segment(id) + TempSuffix;

        public static string Partial(uint id) => SegmentPrefix + id.ToString("D8", CultureInfo.InvariantCulture) + PartialSuffix;

        /// <summary>Parses "seg-00000012.log" to 12: exactly the names <see cref="Segment"/> writes.</summary>
        public static bool TryParseSegment(string name, out uint id)
        {
            // "D8" pads to at least 8 digits: ids from 100,000,000 on have 9 or 10, and a name that did
            // not parse back would be skipped at open with all its records. Accept any length, but only
            // the canonical spelling, so no two names mean the same segment.
            id = 0;
            int digits = name.Length - SegmentPrefix.Length - SegmentSuffix.Length;
            return digits >= 8
                && name.StartsWith(SegmentPrefix, System.StringComparison.Ordinal)
                && name.EndsWith(SegmentSuffix, System.StringComparison.Ordinal)
                && uint.TryParse(name.AsSpan(SegmentPrefix.Length, digits), NumberStyles.None, CultureInfo.InvariantCulture, out id)
                && (digits == 8 || name[SegmentPrefix.Length] != '0');
        }

        /// <summary>Leftovers of an interrupted write or merge, deleted at open.</summary>
        public static bool IsLeftover(string name)
            => name.EndsWith(TempSuffix, System.StringComparison.Ordinal) || name.EndsWith(PartialSuffix, System.StringComparison.Ordinal);
    }
}
