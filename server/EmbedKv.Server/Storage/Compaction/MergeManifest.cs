using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;
using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Storage.Compaction
{
    /// <summary>
    /// The merge's commit record: which segments it replaces and which it wrote. Its rename to
    /// <c>merge.manifest</c> is the merge's commit point (docs/storage.md, "Compaction"); at open, a
    /// manifest means "finish the merge", and no manifest means "it never happened".
    /// </summary>
    internal static class MergeManifest
    {
        private const string Magic = "EKVMERGE 1";

        /// <summary>Writes, syncs and atomically installs the manifest, then syncs the directory.</summary>
        public static void Commit(IStorageDirectory directory, IReadOnlyList<uint> inputs, IReadOnlyList<uint> outputs)
        {
            string body = Magic + "\ninputs " + string.Join(" ", inputs) + "\noutputs " + string.Join(" ", outputs) + "\n";
            byte[] bytes = Encoding.ASCII.GetBytes(body + "crc " + Crc32C.Compute(Encoding.ASCII.GetBytes(body)).ToString("x8", CultureInfo.InvariantCulture) + "\n");
            using (IStorageFile file = directory.Open(FileNames.ManifestTemp, FileMode.Create))
            {
                file.WriteAt(bytes, 0);
                file.DataSync();
            }

            directory.Rename(FileNames.ManifestTemp, FileNames.Manifest);
            directory.Sync();
        }

        /// <summary>Renames the outputs into place and deletes the inputs (both idempotent), then drops the manifest.</summary>
        public static void Finish(IStorageDirectory directory, IReadOnlyList<uint> inputs, IReadOnlyList<uint> outputs)
        {
            HashSet<string> present = directory.List().ToHashSet(StringComparer.Ordinal);
            foreach (uint id in outputs)
            {
                if (present.Contains(FileNames.SegmentTemp(id)))
                {
                    directory.Rename(FileNames.SegmentTemp(id), FileNames.Segment(id));
                }
            }

            directory.Sync();
            foreach (uint id in inputs)
            {
                directory.TryDelete(FileNames.Segment(id));
            }

            directory.Sync();
            directory.TryDelete(FileNames.Manifest);
            directory.Sync();
        }

        /// <summary>At open: completes a merge that passed its commit point.</summary>
        public static void RecoverInterrupted(IStorageDirectory directory, ILogger logger)
        {
            if (!directory.List().Contains(FileNames.Manifest))
            {
                return;
            }

            (List<uint> inputs, List<uint> outputs) = Read(directory);
            Finish(directory, inputs, outputs);
            StorageLog.FinishedInterruptedMerge(logger, inputs.Count, outputs.Count);
        }

        private static (List<uint> Inputs, List<uint> Outputs) Read(IStorageDirectory directory)
        {
            string text;
            using (IStorageFile file = directory.Open(FileNames.Manifest, FileMode.Open))
            {
                byte[] bytes = new byte[file.Length];
                int read = 0;
                while (read < bytes.Length)
                {
                    int n = file.ReadAt(bytes.AsSpan(read), read);
                    if (n == 0)
                    {
                        break;
                    }

                    read += n;
                }

                text = Encoding.ASCII.GetString(bytes, 0, read);
            }

            int crcAt = text.LastIndexOf("crc ", StringComparison.Ordinal);
            string body = crcAt < 0 ? string.Empty : text.Substring(0, crcAt);
            string[] lines = body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            bool valid = crcAt >= 0
                && uint.TryParse(text.AsSpan(crcAt + 4).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out uint crc)
                && crc == Crc32C.Compute(Encoding.ASCII.GetBytes(body))
                && lines.Length == 3 && lines[0] == Magic && lines[1].StartsWith("inputs", StringComparison.Ordinal) && lines[2].StartsWith("outputs", StringComparison.Ordinal);
            if (!valid)
            {
                // It was synced before its rename, so damage here is not a crash's doing.
                throw new StorageCorruptedException(FileNames.Manifest, 0, "the merge manifest is unreadable");
            }

            return (Ids(lines[1]), Ids(lines[2]));
        }

        private static List<uint> Ids(string line)
            => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(id => uint.Parse(id, CultureInfo.InvariantCulture)).ToList();
    }
}
