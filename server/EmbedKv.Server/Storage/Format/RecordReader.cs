using System;
using EmbedKv.Server.Storage.IO;

namespace EmbedKv.Server.Storage.Format
{
    /// <summary>
    /// Reads a segment's records front to back through one buffer, checking each record's CRC; values
    /// are checksummed chunk by chunk and never held whole. Seal records are returned like any other
    /// (callers skip them as data). Used by recovery, check and the merge.
    /// </summary>
    internal sealed class RecordReader
    {
        private const int BufferSize = 1 << 20;

        private readonly byte[] _buffer = new byte[BufferSize];
        private IStorageFile _file = null!;
        private long _fileLength;
        private long _bufferStart;
        private int _bufferLength;

        /// <summary>Offset of the record <see cref="TryReadNext"/> will read.</summary>
        public long Position { get; private set; }

        public long FileLength => _fileLength;

        /// <summary>The last record's header, valid after <see cref="TryReadNext"/> returned true.</summary>
        public RecordHeader Header { get; private set; }

        /// <summary>The last record's offset.</summary>
        public long RecordOffset { get; private set; }

        /// <summary>Why the last <see cref="TryReadNext"/> returned false at a non-empty position.</summary>
        public string? Problem { get; private set; }

        /// <summary>
        /// Where the bad record would end by its own header, if that header was readable and the record ends
        /// exactly at the end of the file (a CRC mismatch in what looks like a torn last record); otherwise its
        /// start. Bytes before it belong to the bad record, so a value that happens to contain a record's bytes
        /// is not taken for a record of its own.
        /// </summary>
        public long ProblemEnd { get; private set; }

        /// <summary>How the open segment's records are checked.</summary>
        public SegmentFormat Format { get; private set; }

        /// <summary>Reads the segment's records from its first one (or from <paramref name="start"/>).</summary>
        public void Open(IStorageFile file, SegmentFormat format, long start = -1)
        {
            _file = file;
            Format = format;
            start = start < 0 ? format.HeaderSize : start;
            _fileLength = file.Length;
            _bufferStart = 0;
            _bufferLength = 0;
            Position = start;
            Problem = null;
            file.AdviseSequential();
        }

        /// <summary>Reads and checks the next record. False at the end of the file or at a bad record (see <see cref="Problem"/>).</summary>
        public bool TryReadNext(out ReadOnlySpan<byte> key)
        {
            key = default;
            Problem = null;
            if (Position >= _fileLength)
            {
                return false;
            }

            if (!TryCheckRecordAt(Position, out RecordHeader header, out string? problem))
            {
                Problem = problem;
                // The length fields are covered by the CRC that just failed, so they may be the damage: trust
                // them only when the record ends exactly where the file does, as a torn last record would.
                // Anywhere else a flipped length could claim the valid records after it, and recovery would
                // cut them off as a "torn tail" instead of reporting corruption.
                // (Version 1 only: from version 2 on, a value cannot check as a record, so no skipping is needed.)
                ProblemEnd = !Format.HasClaims && problem == "CRC mismatch" && Position + header.RecordLength == _fileLength ? _fileLength - 1 : Position;
                return false;
            }

            Header = header;
            RecordOffset = Position;
            key = Window(Position + RecordHeader.Size, header.KeyLength);
            Position += header.RecordLength;
            return true;
        }

        /// <summary>
        /// The largest SyncedTo claim of any valid record (seals included) that starts after
        /// <paramref name="from"/>, and where that record starts; -1 if none. Stops early at a claim past
        /// <paramref name="from"/>, which settles the question. A byte-by-byte search is safe here: in a
        /// version 2 segment only records written at that very offset of this segment check.
        /// </summary>
        public long LargestClaimAfter(long from, out long claimAt)
        {
            long largest = -1;
            claimAt = -1;
            for (long candidate = from + 1; candidate + RecordHeader.Size <= _fileLength;)
            {
                ReadOnlySpan<byte> bytes = Window(candidate, 5);
                if (bytes[4] == RecordHeader.Magic && TryCheckRecordAt(candidate, out RecordHeader header, out _))
                {
                    if (header.SyncedTo > largest)
                    {
                        largest = header.SyncedTo;
                        claimAt = candidate;
                        if (largest > from)
                        {
                            break;
                        }
                    }

                    // A real record: nothing inside it is one.
                    candidate += header.RecordLength;
                    continue;
                }

                candidate++;
            }

            return largest;
        }

        /// <summary>Whether a valid record starts exactly at <paramref name="offset"/>.</summary>
        public bool IsValidRecordAt(long offset) => TryCheckRecordAt(offset, out _, out _);

        /// <summary>Whether any valid record starts after <paramref name="from"/> (version 1's test for corruption; a value can fool it).</summary>
        public bool AnyValidRecordAfter(long from, out long found)
        {
            for (long candidate = from + 1; candidate + RecordHeader.Size <= _fileLength; candidate++)
            {
                ReadOnlySpan<byte> bytes = Window(candidate, 5);
                if (bytes[4] == RecordHeader.Magic && TryCheckRecordAt(candidate, out _, out _))
                {
                    found = candidate;
                    return true;
                }
            }

            found = -1;
            return false;
        }

        private bool TryCheckRecordAt(long offset, out RecordHeader header, out string? problem)
        {
            header = default;
            if (offset + RecordHeader.Size > _fileLength)
            {
                problem = "the file ends inside a record header";
                return false;
            }

            ReadOnlySpan<byte> headerBytes = Window(offset, RecordHeader.Size);
            uint stored = RecordHeader.StoredCrc(headerBytes);
            if (!RecordHeader.TryRead(headerBytes, out header, Format.Version))
            {
                problem = "not a record header";
                return false;
            }

            // Copy what outlives the buffer refills below.
            Span<byte> headerCopy = stackalloc byte[RecordHeader.Size];
            headerBytes.CopyTo(headerCopy);
            if (offset + header.RecordLength > _fileLength)
            {
                problem = "the file ends inside the record (" + header.RecordLength + " bytes)";
                return false;
            }

            uint crc = Crc32C.Append(Format.CrcSeed(offset), Window(offset + RecordHeader.Size, header.KeyLength));
            long valueStart = offset + RecordHeader.Size + header.KeyLength;
            for (long done = 0; done < header.ValueLength;)
            {
                int chunk = (int)Math.Min(header.ValueLength - done, BufferSize / 2);
                crc = Crc32C.Append(crc, Window(valueStart + done, chunk));
                done += chunk;
            }

            ulong expires = 0;
            if (header.HasTrailer)
            {
                ReadOnlySpan<byte> trailer = Window(valueStart + header.ValueLength, RecordHeader.TrailerSize);
                crc = Crc32C.Append(crc, trailer);
                expires = RecordHeader.ReadTrailer(trailer);
            }

            if (RecordHeader.FinishCrc(crc, headerCopy) != stored)
            {
                problem = "CRC mismatch";
                return false;
            }

            if (header.HasTrailer)
            {
                if (expires == 0)
                {
                    problem = "an expiry of 0";
                    return false;
                }

                header = header.WithExpires(expires);
            }

            problem = null;
            return true;
        }

        /// <summary>Bytes [offset, offset + count) of the file, refilling the buffer when they are not in it.</summary>
        private ReadOnlySpan<byte> Window(long offset, int count)
        {
            if (offset < _bufferStart || offset + count > _bufferStart + _bufferLength)
            {
                _bufferStart = offset;
                _bufferLength = 0;
                int wanted = (int)Math.Min(BufferSize, _fileLength - offset);
                while (_bufferLength < wanted)
                {
                    int read = _file.ReadAt(_buffer.AsSpan(_bufferLength, wanted - _bufferLength), offset + _bufferLength);
                    if (read == 0)
                    {
                        break;
                    }

                    _bufferLength += read;
                }
            }

            return _buffer.AsSpan((int)(offset - _bufferStart), Math.Min(count, _bufferLength - (int)(offset - _bufferStart)));
        }
    }
}
