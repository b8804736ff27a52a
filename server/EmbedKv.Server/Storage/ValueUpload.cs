using System;
using EmbedKv.Server.Storage.Writes;

namespace EmbedKv.Server.Storage
{
    /// <summary>
    /// A value that arrives in chunks (from a socket), written straight into a segment file of its own
    /// (<c>seg-N.partial</c>) so memory stays bounded whatever its size. <see cref="Complete"/> renames it to
    /// <c>seg-N.log</c> and only then makes it visible (under Durability.Always the commit thread syncs it first);
    /// <see cref="Abort"/> deletes it. A crash before the rename leaves a <c>.partial</c> file that the next
    /// open deletes, so a half-received value is never stored. Instances are pooled by the store.
    /// </summary>
    internal sealed class ValueUpload
    {
        private readonly StreamedValue _value;

        internal ValueUpload(StreamedValue value) => _value = value;

        /// <summary>Bytes of value received so far.</summary>
        public long Length => _value.Length;

        /// <summary>Appends the next chunk of the value.</summary>
        /// <param name="chunk">The bytes.</param>
        /// <returns>False, with nothing written, if the value would exceed the store's maximum length; then call <see cref="Abort"/>.</returns>
        public bool Append(ReadOnlySpan<byte> chunk) => _value.Append(chunk);

        /// <summary>
        /// Ends the value: <paramref name="completion"/> hears <see cref="WriteOutcome.Created"/> or
        /// <see cref="WriteOutcome.Replaced"/> once it is stored as the store's durability promises.
        /// The upload must not be used afterwards.
        /// </summary>
        /// <param name="completion">Who to tell.</param>
        /// <param name="token">The caller's token.</param>
        public void Complete(IWriteCompletion completion, ulong token) => _value.Complete(completion, token);

        /// <summary>Abandons the value: its file is deleted and nothing is stored.</summary>
        public void Abort() => _value.Abort();
    }
}
