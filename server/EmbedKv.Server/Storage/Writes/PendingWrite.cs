using EmbedKv.Server.Storage.Index;
using EmbedKv.Server.Storage.IO;
using EmbedKv.Server.Storage.Segments;

namespace EmbedKv.Server.Storage.Writes
{
    /// <summary>A write appended to a segment and waiting for the commit thread (its key is in the batch's key buffer).</summary>
    internal struct PendingWrite
    {
        public int KeyOffset;
        public int KeyLength;
        public RecordLocation Location;
        public Segment Segment;
        public IWriteCompletion? Completion;
        public ulong Token;

        /// <summary>For a streamed value: the upload whose file must be synced and renamed into place.</summary>
        public ValueUpload? Upload;

        /// <summary>
        /// The streamed value's file, taken when it was queued: the upload itself is reset and reused once the
        /// commit thread finishes it, possibly while this batch is still kept, so a checkpoint reads this instead.
        /// </summary>
        public IStorageFile? UploadFile;
    }
}
