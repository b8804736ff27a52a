using EmbedKv.Server.Diagnostics;
using EmbedKv.Server.Http;
using EmbedKv.Server.Storage;

namespace EmbedKv.Server.Loop
{
    /// <summary>What every connection of one event loop shares: the store, the limits, the date line, the buffers.</summary>
    internal sealed class LoopContext
    {
        public LoopContext(KvStore store, KvServerOptions options, BufferPool buffers, LoopCompletions completions, RequestStats stats)
        {
            Stats = stats;
            Store = store;
            Options = options;
            Limits = options.Limits;
            Buffers = buffers;
            Completions = completions;
            Layout = new BlockLayout(options.Limits);
        }

        public KvStore Store { get; }

        public KvServerOptions Options { get; }

        public HttpLimits Limits { get; }

        public BufferPool Buffers { get; }

        public LoopCompletions Completions { get; }

        /// <summary>This loop's request figures, written by the loop's thread alone.</summary>
        public RequestStats Stats { get; }

        public HttpDate Date { get; } = new HttpDate();

        public BlockLayout Layout { get; }

        /// <summary>True once the server is stopping: responses say Connection: close.</summary>
        public bool Stopping { get; set; }
    }

    /// <summary>
    /// How a connection's block is divided: input (a whole head plus room for body bytes that follow
    /// it), a small body (values up to <see cref="BodySize"/> are stored in one write; larger ones
    /// stream), output (response heads, pipelined), and the decoded key.
    /// </summary>
    internal readonly struct BlockLayout
    {
        public const int BodySize = 16 * 1024;
        public const int OutputSize = 16 * 1024;

        public BlockLayout(HttpLimits limits)
        {
            ReadSize = limits.MaxHeaderBytes + (16 * 1024);
            KeySize = limits.MaxRequestLineBytes;
            BodyOffset = ReadSize;
            OutputOffset = BodyOffset + BodySize;
            KeyOffset = OutputOffset + OutputSize;
            BlockSize = KeyOffset + KeySize;
        }

        public int ReadSize { get; }

        public int KeySize { get; }

        public int BodyOffset { get; }

        public int OutputOffset { get; }

        public int KeyOffset { get; }

        public int BlockSize { get; }
    }
}
