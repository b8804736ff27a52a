using System;

namespace EmbedKv.Server.Http.Exchange
{
    /// <summary>
    /// The windows of one connection's block (see <see cref="BlockLayout"/>): unread input between
    /// <see cref="ReadStart"/> and <see cref="ReadEnd"/>, unsent output between <see cref="OutStart"/> and
    /// <see cref="OutEnd"/>, and the handler's area. The transport rents the block when input arrives and
    /// gives it back when the connection goes idle, so an idle keep-alive connection holds no memory; the
    /// exchange and the handler only read and write the windows.
    /// </summary>
    internal sealed unsafe class ConnectionBuffers
    {
        private readonly BlockLayout _layout;
        private byte* _block;

        public ConnectionBuffers(BlockLayout layout) => _layout = layout;

        public bool IsAttached => _block is not null;

        public int ReadStart { get; private set; }

        public int ReadEnd { get; private set; }

        public int OutStart { get; private set; }

        public int OutEnd { get; private set; }

        /// <summary>Where in the output the answer to the current request begins (heads before it answer earlier requests).</summary>
        public int AnswerStart { get; private set; }

        /// <summary>
        /// Some byte of the current request's answer went out. Until then, after a fault, the answer can
        /// still be replaced by a 500; it survives the output's compaction (see <see cref="AllSent"/>).
        /// </summary>
        public bool AnswerSent { get; private set; }

        public bool HasInput => ReadEnd > ReadStart;

        public bool InputFull => ReadEnd == _layout.ReadSize;

        public bool HasOutput => OutEnd > OutStart;

        public Span<byte> Unread => new Span<byte>(_block + ReadStart, ReadEnd - ReadStart);

        public Span<byte> InputRoom => new Span<byte>(_block + ReadEnd, _layout.ReadSize - ReadEnd);

        public ReadOnlySpan<byte> Unsent => new ReadOnlySpan<byte>(_block + _layout.OutputOffset + OutStart, OutEnd - OutStart);

        public Span<byte> OutputRoom => new Span<byte>(_block + _layout.OutputOffset + OutEnd, BlockLayout.OutputSize - OutEnd);

        /// <summary>The handler's area: stable while a request is under way (the block is not given back then).</summary>
        public byte* HandlerArea => _block + _layout.HandlerOffset;

        public void Attach(byte* block) => _block = block;

        /// <summary>Takes the block back from the windows, which are left empty.</summary>
        public byte* Detach()
        {
            byte* block = _block;
            _block = null;
            ReadStart = ReadEnd = OutStart = OutEnd = AnswerStart = 0;
            return block;
        }

        public void Received(int count) => ReadEnd += count;

        public void Consume(int count) => ReadStart += count;

        public void DropInput() => ReadStart = ReadEnd = 0;

        /// <summary>Moves the unread input to the front, so a partial head or chunk can grow.</summary>
        public void CompactInput()
        {
            if (ReadStart == 0)
            {
                return;
            }

            int length = ReadEnd - ReadStart;
            Unread.CopyTo(new Span<byte>(_block, length));
            ReadStart = 0;
            ReadEnd = length;
        }

        public void Queue(ReadOnlySpan<byte> bytes)
        {
            bytes.CopyTo(OutputRoom);
            OutEnd += bytes.Length;
        }

        public void Queued(int count) => OutEnd += count;

        public void Sent(int count)
        {
            OutStart += count;
            AnswerSent |= OutStart > AnswerStart;
        }

        /// <summary>The whole output went out: it starts again at the front.</summary>
        public void AllSent() => OutStart = OutEnd = AnswerStart = 0;

        /// <summary>What is queued from here on answers the current request.</summary>
        public void BeginAnswer()
        {
            AnswerStart = OutEnd;
            AnswerSent = false;
        }

        /// <summary>Drops what was queued of the current request's answer: a head without its body would lie to the client.</summary>
        public void DropAnswer() => OutEnd = Math.Max(AnswerStart, OutStart);
    }
}
