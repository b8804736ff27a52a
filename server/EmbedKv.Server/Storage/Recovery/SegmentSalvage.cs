using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Storage.Recovery
{
    /// <summary>
    /// Repairs one damaged segment: its valid records before the damage go, byte for byte (sequence
    /// numbers and all), into a new segment with a fresh id, and the damaged file is renamed aside,
    /// never deleted. The copy is in place before the move, so a crash between the two leaves every
    /// record readable (twice at worst, with equal sequences: harmless) rather than none of them.
    /// </summary>
    internal static class SegmentSalvage
    {
        /// <summary>Marks a segment moved aside: "seg-00000002.log.damaged-20261202T161500Z".</summary>
        public const string AsideMarker = ".damaged-";

        private const int ChunkSize = 1 << 20;

        /// <summary>Repairs <paramref name="name"/>; returns whether <paramref name="newId"/> was used.</summary>
        public static bool Run(ExistingStorageDirectory directory, string name, SegmentVerdict verdict, uint newId, DateTime now, List<string> actions)
        {
            bool wrote = verdict.Records > 0;
            if (wrote)
            {
                string temp = FileNames.SegmentTemp(newId);
                string target = FileNames.Segment(newId);
                using (IStorageFile source = directory.Open(name, FileMode.Open))
                using (IStorageFile copy = directory.Open(temp, FileMode.CreateNew))
                {
                    // The same version and salt, and the same offsets: every copied record checks as it did.
                    Span<byte> header = stackalloc byte[SegmentHeader.Size];
                    SegmentHeader.Write(header, newId, verdict.Format);
                    copy.WriteAt(header.Slice(0, verdict.Format.HeaderSize), 0);
                    Copy(source, copy, verdict.Format.HeaderSize, verdict.ValidEnd);
                    if (verdict.Format.HasClaims)
                    {
                        // Synced below before it becomes a segment, so the claim is true by then.
                        Span<byte> seal = stackalloc byte[RecordHeader.Size];
                        RecordHeader.WriteSealRecord(seal, verdict.Format, verdict.ValidEnd, verdict.ValidEnd);
                        copy.WriteAt(seal, verdict.ValidEnd);
                    }

                    copy.DataSync();
                }

                // Until this rename the copy is a *.tmp leftover that opening deletes, so a crash during
                // the copy cannot leave half a segment to be read.
                directory.Rename(temp, target);
                directory.Sync();
                actions.Add("wrote " + target + ": the " + CheckReport.Count(verdict.Records, "valid record") + " of " + name + " at offsets "
                    + verdict.Format.HeaderSize + ".." + verdict.ValidEnd + ", sequence numbers kept");
            }

            string aside = AsideName(directory, name, now);
            directory.Rename(name, aside);
            directory.Sync();
            actions.Add("moved " + name + " aside to " + aside + " (all " + verdict.Length + " bytes kept; the store never reads it)");
            return wrote;
        }

        /// <summary>Whether a name is that of a segment an earlier repair moved aside.</summary>
        public static bool IsAside(string name) => name.Contains(".log" + AsideMarker, StringComparison.Ordinal);

        private static void Copy(IStorageFile source, IStorageFile destination, long from, long to)
        {
            byte[] buffer = new byte[(int)Math.Min(ChunkSize, Math.Max(to - from, 1))];
            for (long offset = from; offset < to;)
            {
                int read = source.ReadAt(buffer.AsSpan(0, (int)Math.Min(buffer.Length, to - offset)), offset);
                if (read == 0)
                {
                    throw new EndOfStreamException(source.Name + " ended at " + offset + " while its valid records were copied (up to " + to + ")");
                }

                destination.WriteAt(buffer.AsSpan(0, read), offset);
                offset += read;
            }
        }

        /// <summary>A name nothing has yet: renaming onto an existing one would replace an earlier repair's evidence.</summary>
        private static string AsideName(ExistingStorageDirectory directory, string name, DateTime now)
        {
            string stem = name + AsideMarker + now.ToUniversalTime().ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
            string candidate = stem;
            for (int n = 2; directory.Exists(candidate); n++)
            {
                candidate = stem + "-" + n.ToString(CultureInfo.InvariantCulture);
            }

            return candidate;
        }
    }
}
