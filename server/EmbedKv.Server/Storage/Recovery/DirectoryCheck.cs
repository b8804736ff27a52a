using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage.Compaction;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;
using Microsoft.Extensions.Logging.Abstractions;

namespace EmbedKv.Server.Storage.Recovery
{
    /// <summary>
    /// The work behind <see cref="StoreCheck"/> (docs/storage.md, "Checking and repairing a data
    /// directory"): verifies every record of every segment by the recovery rule, and repairs damage by
    /// moving the damaged segment aside and keeping its valid records before the damage.
    /// </summary>
    internal static class DirectoryCheck
    {
        /// <summary>See <see cref="StoreCheck.Check"/>.</summary>
        public static CheckReport Check(string dataDirectory)
        {
            using ExistingStorageDirectory directory = OpenLocked(dataDirectory, writable: false);
            return Scan(directory).Report;
        }

        /// <summary>See <see cref="StoreCheck.Repair"/>.</summary>
        public static RepairReport Repair(string dataDirectory)
        {
            using ExistingStorageDirectory directory = OpenLocked(dataDirectory, writable: true);
            Scanned before = Scan(directory);
            var actions = new List<string>();
            Scanned scanned = before;
            if (scanned.Report.IsDamaged && directory.Exists(FileNames.Manifest))
            {
                // A committed merge dropped tombstones whose older records sit in its inputs: a salvaged
                // copy of such an input would bring deleted keys back. Finish the merge first, as opening
                // would, so that the inputs are gone and only what the merge kept remains.
                MergeManifest.RecoverInterrupted(directory, NullLogger.Instance);
                actions.Add("finished the interrupted merge of " + FileNames.Manifest + ", as opening the store would");
                scanned = Scan(directory);
            }

            uint nextId = scanned.HighestId + 1;
            DateTime now = DateTime.UtcNow;
            foreach ((string name, SegmentVerdict verdict) in scanned.Damaged)
            {
                if (SegmentSalvage.Run(directory, name, verdict, nextId, now, actions))
                {
                    nextId++;
                }
            }

            return new RepairReport(before.Report, actions, actions.Count == 0 ? before.Report : Scan(directory).Report);
        }

        private static ExistingStorageDirectory OpenLocked(string dataDirectory, bool writable)
        {
            ArgumentNullException.ThrowIfNull(dataDirectory);
            ExistingStorageDirectory directory = ExistingStorageDirectory.Open(dataDirectory, writable);
            try
            {
                // The store's own patience (KvStore.Open). A running server holds the lock for good, and a
                // check racing its appends, truncations and merges would report what they leave half done, so refuse.
                DirectoryLock.Take(directory);
                return directory;
            }
            catch
            {
                directory.Dispose();
                throw;
            }
        }

        private static Scanned Scan(ExistingStorageDirectory directory)
        {
            var findings = new List<CheckFinding>();
            var segments = new List<(uint Id, string Name)>();
            uint highestId = 0;
            List<string> names = directory.List().OrderBy(n => n, StringComparer.Ordinal).ToList();
            bool merging = names.Contains(FileNames.Manifest);
            foreach (string name in names)
            {
                if (FileNames.TryParseSegment(name, out uint id))
                {
                    segments.Add((id, name));
                }
                else if (merging && IsSegmentTemp(name, out id))
                {
                    // A committed merge's output: opening renames it into place, so it is checked like a segment.
                    segments.Add((id, name));
                }
                else if (name == FileNames.Manifest)
                {
                    findings.Add(new CheckFinding(CheckFindingKind.InterruptedMerge, name, null,
                        "a merge passed its commit point and was interrupted (opening the store finishes it: its seg-N.log.tmp outputs, checked here as segments, replace its inputs)"));
                }
                else if (SegmentSalvage.IsAside(name))
                {
                    findings.Add(new CheckFinding(CheckFindingKind.SetAside, name, null, "moved aside by a repair (kept for forensics; the store never reads it)"));
                }
                else if (FileNames.IsLeftover(name))
                {
                    findings.Add(new CheckFinding(CheckFindingKind.Leftover, name, null, LengthOf(directory, name) + " bytes of an interrupted merge or upload (opening the store deletes it)"));
                }

                highestId = Math.Max(highestId, IdIn(name));
            }

            var keys = new Dictionary<string, (ulong Sequence, bool Tombstone)>(StringComparer.Ordinal);
            long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var damaged = new List<(string Name, SegmentVerdict Verdict)>();
            var reader = new RecordReader();
            long records = 0;
            long bytes = 0;
            foreach ((uint id, string name) in segments.OrderBy(s => s.Id))
            {
                SegmentVerdict verdict;
                using (IStorageFile file = directory.Open(name, FileMode.Open))
                {
                    verdict = SegmentScan.Scan(file, id, reader, (key, header, _) =>
                    {
                        // Latin-1 maps each byte to one char and back, so any key bytes make a distinct string.
                        string k = Encoding.Latin1.GetString(key);
                        if (!keys.TryGetValue(k, out (ulong Sequence, bool Tombstone) seen) || header.Sequence > seen.Sequence)
                        {
                            // An expired value counts as absent, as the store would find it.
                            keys[k] = (header.Sequence, header.Tombstone || (header.HasTrailer && (long)header.Expires <= now));
                        }
                    });
                }

                records += verdict.Records;
                bytes += verdict.Length;
                switch (verdict.State)
                {
                    case SegmentState.Damaged:
                        findings.Add(new CheckFinding(CheckFindingKind.Damaged, name, verdict.Offset, verdict.Detail!));
                        damaged.Add((name, verdict));
                        break;
                    case SegmentState.TornTail:
                        findings.Add(new CheckFinding(CheckFindingKind.TornTail, name, verdict.Offset, verdict.Detail!));
                        break;
                    case SegmentState.TornHeader:
                        findings.Add(new CheckFinding(CheckFindingKind.TornHeader, name, verdict.Offset, verdict.Detail!));
                        break;
                }
            }

            var report = new CheckReport(findings, segments.Count, records, keys.Values.Count(v => !v.Tombstone), bytes);
            return new Scanned(report, damaged, highestId);
        }

        private static bool IsSegmentTemp(string name, out uint id)
        {
            id = 0;
            return name.EndsWith(FileNames.TempSuffix, StringComparison.Ordinal)
                && FileNames.TryParseSegment(name.Substring(0, name.Length - FileNames.TempSuffix.Length), out id);
        }

        private static long LengthOf(ExistingStorageDirectory directory, string name)
        {
            using IStorageFile file = directory.Open(name, FileMode.Open);
            return file.Length;
        }

        /// <summary>The id in any name the store gives a file ("seg-00000012.log.tmp": 12), so a new segment's id collides with none.</summary>
        private static uint IdIn(string name)
        {
            const string Prefix = "seg-";
            if (!name.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return 0;
            }

            int end = Prefix.Length;
            while (end < name.Length && char.IsAsciiDigit(name[end]))
            {
                end++;
            }

            return uint.TryParse(name.AsSpan(Prefix.Length, end - Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out uint id) ? id : 0;
        }

        private sealed record Scanned(CheckReport Report, List<(string Name, SegmentVerdict Verdict)> Damaged, uint HighestId);
    }
}
