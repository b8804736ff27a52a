using System.IO;

namespace EmbedKv.Server.Storage
{
    /// <summary>A segment is damaged in a way a crash cannot explain; opening fails rather than skip data.</summary>
    public sealed class StorageCorruptedException : IOException
    {
        /// <summary>Describes the damage.</summary>
        /// <param name="file">The segment's file name.</param>
        /// <param name="offset">Offset of the bad record.</param>
        /// <param name="detail">What is wrong.</param>
        public StorageCorruptedException(string file, long offset, string detail)
            : base(file + " is corrupted at offset " + offset + ": " + detail)
        {
            File = file;
            Offset = offset;
        }

        /// <summary>The segment's file name.</summary>
        public string File { get; }

        /// <summary>Offset of the bad record.</summary>
        public long Offset { get; }
    }
}
