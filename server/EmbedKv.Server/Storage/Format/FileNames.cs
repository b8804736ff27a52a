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

        /// <summary>Parses "seg-00000012.log" to 12.</summary>
        public static bool TryParseSegment(string name, out uint id)
        {
            id = 0;
            return name.StartsWith(SegmentPrefix, System.StringComparison.Ordinal)
                && name.EndsWith(SegmentSuffix, System.StringComparison.Ordinal)
                && name.Length == SegmentPrefix.Length + 8 + SegmentSuffix.Length
                && uint.TryParse(name.AsSpan(SegmentPrefix.Length, 8), NumberStyles.None, CultureInfo.InvariantCulture, out id);
        }

        /// <summary>Leftovers of an interrupted write or merge, deleted at open.</summary>
        public static bool IsLeftover(string name)
            => name.EndsWith(TempSuffix, System.StringComparison.Ordinal) || name.EndsWith(PartialSuffix, System.StringComparison.Ordinal);
    }
}
