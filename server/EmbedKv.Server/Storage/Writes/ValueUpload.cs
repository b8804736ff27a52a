using System;
using System.Threading;
using EmbedKv.Server.Storage.Format;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>
    /// A value that arrives in chunks (from a socket), written straight into a segment file of its own
    /// (<c>seg-N.partial</c>) so memory stays bounded whatever its size. <see cref="Complete(IWriteCompletion, ulong)"/> renames it to
    /// <c>seg-N.log</c> and only then makes it visible (under Durability.Always the commit thread syncs it
    /// first); <see cref="Abort"/> deletes it. A crash before the rename leaves a <c>.partial</c> file that the next
    /// open deletes, so a half-received value is never stored. Instances are pooled by the write log.
    /// </summary>
    internal sealed class ValueUpload
    {
        private readonly WriteLog _log;
        private byte[] _key = new byte[256];
        private int _keyLength;
        private IStorageFile? _file;
        private uint _keyAndValueCrc;
        private SegmentFormat _format;
        private int _state; // 0 idle, 1 writing, 2 completing

        public ValueUpload(WriteLog log) => _log = log;

        /// <summary>Bytes of value received so far.</summary>
        public long Length { get; private set; }

        internal uint SegmentId { get; private set; }

        internal ReadOnlySpan<byte> Key => _key.AsSpan(0, _keyLength);

        internal IStorageFile Handle => _file!;

        private long ValueStart => SegmentHeader.Size + RecordHeader.Size + _keyLength;

        /// <summary>The segment's length once the value is complete.</summary>
        internal long SegmentLength => ValueStart + Length + (Expires != 0 ? RecordHeader.TrailerSize : 0);

        /// <summary>Appends the next chunk of the value.</summary>
        /// <param name="chunk">The bytes.</param>
        /// <returns>False, with nothing written, if the value would exceed the store's maximum length; then call <see cref="Abort"/>.</returns>
        public bool Append(ReadOnlySpan<byte> chunk)
        {
            EnsureState(1);
            if (Length + chunk.Length > _log.Options.MaxValueLength)
            {
                return false;
            }

            _file!.WriteAt(chunk, ValueStart + Length);

            _keyAndValueCrc = Crc32C.Append(_keyAndValueCrc, chunk);
            Length += chunk.Length;
            return true;
        }

        /// <summary>Ends the value with no condition (see the full overload).</summary>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">The caller's token.</param>
        public void Complete(IWriteCompletion completion, ulong token) => Complete(default, completion, token);

        /// <summary>When the value expires, in Unix seconds; 0 if never.</summary>
        internal uint Expires { get; private set; }

        /// <summary>
        /// Ends the value: <paramref name="completion"/> hears <see cref="WriteOutcome.Created"/> or
        /// <see cref="WriteOutcome.Replaced"/> once it is stored as the store's durability promises, or
        /// <see cref="WriteOutcome.PreconditionFailed"/> (the value deleted) if <paramref name="condition"/>,
        /// checked now against every other write, does not hold. The upload must not be used afterwards.
        /// </summary>
        /// <param name="condition">What the key's latest write must be.</param>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">The caller's token.</param>
        public void Complete(in Precondition condition, IWriteCompletion completion, ulong token)
        {
            EnsureState(1);
            _state = 2;
            WriteOutcome? outcome;
            ulong sequence;
            try
            {
                outcome = _log.CompleteUpload(this, condition, completion, token, out sequence);
                if (outcome == WriteOutcome.PreconditionFailed)
                {
                    Abort();
                }
            }
            catch (Exception e)
            {
                Abort();
                if (e is StorageFullException full)
                {
                    _log.ThrowIfFailedBy(full);
                }

                throw;
            }

            // Batched and None: stored already (and this instance is back in the pool); tell the caller here,
            // outside the write lock, as KvStore.BeginPut does.
            if (outcome is { } done)
            {
                completion.OnWriteCompleted(token, done, sequence);
            }
        }

        /// <summary>Abandons the value: its file is deleted and nothing is stored.</summary>
        public void Abort()
        {
            if (_state == 0)
            {
                return;
            }

            _file?.Dispose();
            _log.Directory.TryDelete(FileNames.Partial(SegmentId));
            Finish();
        }

        internal void Start(ReadOnlySpan<byte> key, uint expires, uint segmentId, IStorageFile file)
        {
            Expires = expires;
            if (_key.Length < key.Length)
            {
                _key = new byte[key.Length];
            }

            key.CopyTo(_key);
            _keyLength = key.Length;
            _file = file;
            SegmentId = segmentId;
            Length = 0;
            _state = 1;

            Span<byte> header = stackalloc byte[SegmentHeader.Size];
            _format = SegmentHeader.Write(header, segmentId);
            file.WriteAt(header, 0);
            file.WriteAt(key, SegmentHeader.Size + RecordHeader.Size);
            _keyAndValueCrc = Crc32C.Append(_format.CrcSeed(SegmentHeader.Size), key);
        }

        /// <summary>Writes the record header (and the expiry trailer) now that the value's length and sequence are known.</summary>
        internal void Seal(ulong sequence)
        {
            var record = new RecordHeader(_keyLength, Length, sequence, tombstone: false, expires: Expires);
            uint crc = _keyAndValueCrc;
            if (record.HasTrailer)
            {
                Span<byte> trailer = stackalloc byte[RecordHeader.TrailerSize];
                RecordHeader.WriteTrailer(trailer, Expires);
                _file!.WriteAt(trailer, ValueStart + Length);
                crc = Crc32C.Append(crc, trailer);
            }

            Span<byte> header = stackalloc byte[RecordHeader.Size];
            record.WriteTo(header);
            RecordHeader.Seal(header, crc);
            _file!.WriteAt(header, SegmentHeader.Size);
        }

        /// <summary>The segment the value becomes once renamed into place.</summary>
        internal Segment ToSegment(ulong sequence)
        {
            var segment = new Segment(SegmentId, Handle, SegmentLength, directorySynced: false) { MaxSequence = sequence, Format = _format, Full = true };
            segment.NoteExpiring(Expires, segment.RecordBytes);
            return segment;
        }

        /// <summary>Returns the upload to the store's pool once it became a segment, failed or was abandoned.</summary>
        internal void Finish()
        {
            Reset();
            _log.Recycle(this);
        }

        private void Reset()
        {
            _file = null;
            _keyLength = 0;
            Expires = 0;
            Length = 0;
            Volatile.Write(ref _state, 0);
        }

        private void EnsureState(int expected)
        {
            if (_state != expected)
            {
                throw new InvalidOperationException("The upload is not in progress.");
            }
        }
    }
}
