// The one reader of struct linux_dirent64, the record getdents64 fills its buffer with; both directory
// listings (DirectoryHandle.ListFiles, OpenDescriptors.Count) walk their buffers with it.
using System;
using System.Buffers.Binary;

namespace EmbedKv.Runtime.Files
{
    /// <summary>
    /// Walks the records of one getdents64 buffer:
    /// <c>for (var entries = new DirentReader(buffer); entries.MoveNext();) { ... entries.Name ... }</c>.
    /// </summary>
    internal ref struct DirentReader
    {
        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        private const int RecordLengthOffset = 16;
        private const int TypeOffset = 18;
        private const int NameOffset = 19;

        private ReadOnlySpan<byte> _rest;

        /// <summary>Starts before the first record.</summary>
        /// <param name="records">What getdents64 returned: exactly its result's number of bytes.</param>
        internal DirentReader(ReadOnlySpan<byte> records) => _rest = records;

        /// <summary>The current entry's d_type (DT_REG, DT_DIR, DT_UNKNOWN, …).</summary>
        internal byte Type { get; private set; }

        /// <summary>
        /// The current entry's name without its NUL. The NUL follows it in the buffer, so a pointer to
        /// the name is a C string the *at calls accept.
        /// </summary>
        internal ReadOnlySpan<byte> Name { get; private set; }

        /// <summary>Whether the current entry is "." or "..", which every directory lists.</summary>
        internal readonly bool IsDotOrDotDot => Name.SequenceEqual("."u8) || Name.SequenceEqual(".."u8);

        /// <summary>Moves to the next record.</summary>
        /// <returns>False past the last one.</returns>
        internal bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            int recordLength = BinaryPrimitives.ReadUInt16LittleEndian(_rest.Slice(RecordLengthOffset));
            Type = _rest[TypeOffset];

            // d_name is NUL-terminated and padded to the record's 8-byte-aligned length.
            ReadOnlySpan<byte> name = _rest.Slice(NameOffset, recordLength - NameOffset);
            Name = name.Slice(0, name.IndexOf((byte)0));
            _rest = _rest.Slice(recordLength);
            return true;
        }
    }
}
