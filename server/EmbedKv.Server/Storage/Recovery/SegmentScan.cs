using System;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Storage.Recovery
{
    /// <summary>What <see cref="SegmentScan"/> found in one segment.</summary>
    internal enum SegmentState
    {
        /// <summary>Every record is valid.</summary>
        Clean,

        /// <summary>A bad last record with nothing valid after it: what a crash leaves; opening cuts it off.</summary>
        TornTail,

        /// <summary>No valid segment header and no valid record: created just before a crash; opening deletes it.</summary>
        TornHeader,

        /// <summary>Damage that a crash cannot explain: opening the store fails.</summary>
        Damaged,
    }

    /// <summary>
    /// The verdict on one segment. <see cref="Offset"/> is where the problem starts; records in
    /// [<see cref="SegmentHeader.Size"/>, <see cref="ValidEnd"/>) are valid and chained from the first.
    /// </summary>
    internal readonly record struct SegmentVerdict(SegmentState State, long Offset, string? Detail, long Length, long Records, long ValidEnd);

    /// <summary>Receives each valid record a scan reads.</summary>
    internal delegate void RecordVisitor(ReadOnlySpan<byte> key, RecordHeader header);

    /// <summary>
    /// Classifies a segment by the recovery rule (docs/storage.md) without changing it: the same
    /// decisions StoreRecovery takes, on RecordReader's answers, so a change to how the reader tells a
    /// torn tail from damage carries over to <c>check</c>.
    /// </summary>
    internal static class SegmentScan
    {
        public static SegmentVerdict Scan(IStorageFile file, uint id, RecordReader reader, RecordVisitor? visit)
        {
            long length = file.Length;
            Span<byte> header = stackalloc byte[SegmentHeader.Size];
            int read = file.ReadAt(header, 0);
            if (read < SegmentHeader.Size || !SegmentHeader.IsValid(header, id))
            {
                reader.Open(file, 0);
                if (length > SegmentHeader.Size && reader.AnyValidRecordAfter(0, out long found))
                {
                    // Records still chain from where the writer put the first one, whatever the header
                    // says, so those up to the first bad one are as trustworthy as in any segment.
                    SegmentVerdict chain = ReadChain(file, length, reader, visit);
                    return chain with { State = SegmentState.Damaged, Offset = 0, Detail = "bad segment header; a valid record starts at " + found };
                }

                return new SegmentVerdict(SegmentState.TornHeader, 0, "no valid segment header and no valid record in its " + length + " bytes (opening the store deletes the file)", length, 0, 0);
            }

            SegmentVerdict verdict = ReadChain(file, length, reader, visit);
            if (verdict.State == SegmentState.Clean)
            {
                return verdict;
            }

            if (reader.AnyValidRecordAfter(reader.ProblemEnd, out long next))
            {
                return verdict with { State = SegmentState.Damaged, Detail = reader.Problem + ", yet a valid record starts at " + next + " (so this is no torn tail)" };
            }

            return verdict with { Detail = reader.Problem + "; nothing valid follows, so this is a torn tail (opening the store cuts off its " + (length - verdict.Offset) + " bytes)" };
        }

        /// <summary>Reads records from the first one on; stops at the end (Clean) or at the first bad one (TornTail, to be told from damage).</summary>
        private static SegmentVerdict ReadChain(IStorageFile file, long length, RecordReader reader, RecordVisitor? visit)
        {
            reader.Open(file, SegmentHeader.Size);
            long records = 0;
            while (reader.TryReadNext(out ReadOnlySpan<byte> key))
            {
                visit?.Invoke(key, reader.Header);
                records++;
            }

            SegmentState state = reader.Problem is null ? SegmentState.Clean : SegmentState.TornTail;
            return new SegmentVerdict(state, reader.Position, reader.Problem, length, records, reader.Position);
        }
    }
}
