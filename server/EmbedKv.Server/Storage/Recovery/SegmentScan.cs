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

        /// <summary>A bad record that was never synced, and nothing synced after it: what a crash leaves; opening cuts it off.</summary>
        TornTail,

        /// <summary>No valid segment header and no valid record: created just before a crash; opening deletes it.</summary>
        TornHeader,

        /// <summary>Damage that a crash cannot explain: opening the store fails.</summary>
        Damaged,
    }

    /// <summary>
    /// The verdict on one segment. <see cref="Offset"/> is where the problem starts; records in
    /// [<see cref="Format"/>'s header size, <see cref="ValidEnd"/>) are valid and chained from the first.
    /// <see cref="Records"/> counts data records (seals excluded). <see cref="EndsSealed"/>: the valid chain
    /// ends in a seal that claims all of it, so nothing before <see cref="ValidEnd"/> can pass for a torn tail.
    /// </summary>
    internal readonly record struct SegmentVerdict(SegmentState State, long Offset, string? Detail, long Length, long Records, long ValidEnd, SegmentFormat Format, bool EndsSealed);

    /// <summary>Receives each valid data record a scan reads, with its offset.</summary>
    internal delegate void RecordVisitor(ReadOnlySpan<byte> key, RecordHeader header, long offset);

    /// <summary>
    /// The recovery rule (docs/storage.md), in one place: opening the store and <c>embedkv check</c>
    /// both act on this verdict, so they cannot disagree. It changes nothing on disk.
    /// </summary>
    internal static class SegmentScan
    {
        public static SegmentVerdict Scan(IStorageFile file, uint id, RecordReader reader, RecordVisitor? visit)
        {
            long length = file.Length;
            Span<byte> header = stackalloc byte[SegmentHeader.Size];
            int read = file.ReadAt(header, 0);
            header = header.Slice(0, read);
            if (SegmentHeader.TryRead(header, id, out SegmentFormat format))
            {
                SegmentVerdict verdict = ReadChain(file, length, format, reader, visit);
                return verdict.State == SegmentState.Clean ? verdict : Decide(verdict, reader);
            }

            return Headerless(file, header, length, reader, visit);
        }

        /// <summary>
        /// The first bad record at P. Version 2: the claims of the valid records after P decide. A claim
        /// past P says a completed fdatasync covered P's bytes, so they are damage; if none does, nothing
        /// from P on was ever synced, whatever valid records follow (pages written after the last sync
        /// may reach the disk in any order), and it is a torn tail. Version 1 (no claims): a valid record
        /// anywhere after P means damage, as before.
        /// </summary>
        private static SegmentVerdict Decide(SegmentVerdict verdict, RecordReader reader)
        {
            long bad = verdict.Offset;
            string tornDetail = reader.Problem + "; nothing after it was ever synced, so this is a torn tail (opening the store cuts off its " + (verdict.Length - bad) + " bytes)";
            if (verdict.Format.HasClaims)
            {
                long claim = reader.LargestClaimAfter(bad, out long at);
                if (claim > bad)
                {
                    return verdict with
                    {
                        State = SegmentState.Damaged,
                        Detail = reader.Problem + ", yet the record at " + at + " says the segment was synced up to " + claim + " (so this is no torn tail)",
                    };
                }

                return verdict with { Detail = tornDetail };
            }

            if (reader.AnyValidRecordAfter(reader.ProblemEnd, out long next))
            {
                return verdict with { State = SegmentState.Damaged, Detail = reader.Problem + ", yet a valid record starts at " + next + " (so this is no torn tail)" };
            }

            return verdict with { Detail = tornDetail };
        }

        /// <summary>
        /// A header that fails its check. A crash cannot leave one with a whole magic (it is written by one
        /// pwrite, in one sector, before any record), nor one whose records still check: both are damage.
        /// Otherwise the header never reached the disk, and nothing after it was synced either.
        /// </summary>
        private static SegmentVerdict Headerless(IStorageFile file, ReadOnlySpan<byte> header, long length, RecordReader reader, RecordVisitor? visit)
        {
            // The salt may have survived the damage: then the records still check against it. A client
            // cannot forge records for it (it never sees it), and an all-zero header page yields no salt.
            if (SegmentHeader.TryGuessSalt(header, out SegmentFormat guessed))
            {
                reader.Open(file, guessed);
                if (reader.LargestClaimAfter(0, out long found) >= 0)
                {
                    // Records still chain from where the writer put the first one, whatever the header
                    // says, so those up to the first bad one are as trustworthy as in any segment.
                    SegmentVerdict chain = ReadChain(file, length, guessed, reader, visit);
                    return chain with { State = SegmentState.Damaged, Offset = 0, Detail = "bad segment header; a valid record starts at " + found };
                }
            }

            // Version 1: the first record, exactly where the writer put it (never a search: a value could fool one).
            reader.Open(file, SegmentFormat.V1);
            if (reader.IsValidRecordAt(SegmentHeader.SizeV1))
            {
                SegmentVerdict chain = ReadChain(file, length, SegmentFormat.V1, reader, visit);
                return chain with { State = SegmentState.Damaged, Offset = 0, Detail = "bad segment header; a valid record starts at " + SegmentHeader.SizeV1 };
            }

            if (SegmentHeader.HasWholeMagic(header))
            {
                return new SegmentVerdict(SegmentState.Damaged, 0, "bad segment header (its magic is whole, so no crash left it)", length, 0, 0, default, false);
            }

            return new SegmentVerdict(SegmentState.TornHeader, 0, "no valid segment header and no valid record in its " + length + " bytes (opening the store deletes the file)", length, 0, 0, default, false);
        }

        /// <summary>Reads records from the first one on; stops at the end (Clean) or at the first bad one (TornTail, to be told from damage).</summary>
        private static SegmentVerdict ReadChain(IStorageFile file, long length, SegmentFormat format, RecordReader reader, RecordVisitor? visit)
        {
            reader.Open(file, format);
            long records = 0;
            bool endsSealed = false;
            while (reader.TryReadNext(out ReadOnlySpan<byte> key))
            {
                RecordHeader header = reader.Header;
                endsSealed = header.IsSeal && header.SyncedTo == reader.RecordOffset;
                if (header.IsSeal)
                {
                    continue;
                }

                visit?.Invoke(key, header, reader.RecordOffset);
                records++;
            }

            SegmentState state = reader.Problem is null ? SegmentState.Clean : SegmentState.TornTail;
            return new SegmentVerdict(state, reader.Position, reader.Problem, length, records, reader.Position, format, endsSealed);
        }
    }
}
