using System;
using EmbedKv.Server.Storage.Index;
using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>
    /// Writes waiting for one group commit, in sequence order, with their keys copied into one buffer.
    /// Two batches swap roles (one fills while the other commits), so after warm-up nothing is allocated.
    /// </summary>
    internal sealed class PendingBatch
    {
        private PendingWrite[] _writes = new PendingWrite[256];
        private byte[] _keys = new byte[64 * 1024];
        private int _keyBytes;

        public int Count { get; private set; }

        public ref PendingWrite this[int index] => ref _writes[index];

        public ReadOnlySpan<byte> KeyOf(in PendingWrite write) => _keys.AsSpan(write.KeyOffset, write.KeyLength);

        public void Add(ReadOnlySpan<byte> key, in RecordLocation location, Segment segment, IWriteCompletion? completion, ulong token, ValueUpload? upload)
        {
            if (Count == _writes.Length)
            {
                Array.Resize(ref _writes, _writes.Length * 2);
            }

            if (_keyBytes + key.Length > _keys.Length)
            {
                Array.Resize(ref _keys, Math.Max(_keys.Length * 2, _keyBytes + key.Length));
            }

            key.CopyTo(_keys.AsSpan(_keyBytes));
            _writes[Count++] = new PendingWrite
            {
                KeyOffset = _keyBytes,
                KeyLength = key.Length,
                Location = location,
                Segment = segment,
                Completion = completion,
                Token = token,
                Upload = upload,
                UploadFile = upload?.Handle,
            };
            _keyBytes += key.Length;
        }

        /// <summary>The newest write of <paramref name="key"/> in the batch, if any (a conditional write checks it).</summary>
        public bool TryFindLatest(ReadOnlySpan<byte> key, out RecordLocation location)
        {
            for (int i = Count - 1; i >= 0; i--)
            {
                ref PendingWrite write = ref _writes[i];
                if (write.KeyLength == key.Length && KeyOf(write).SequenceEqual(key))
                {
                    location = write.Location;
                    return true;
                }
            }

            location = default;
            return false;
        }

        public void Clear()
        {
            // Drop references so completed callers and uploads can be collected.
            Array.Clear(_writes, 0, Count);
            Count = 0;
            _keyBytes = 0;
        }
    }
}
