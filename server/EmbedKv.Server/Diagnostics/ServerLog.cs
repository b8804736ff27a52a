using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Diagnostics
{
    /// <summary>
    /// The server's own messages (100, 101: listening and stopped), as source-generated
    /// <see cref="LoggerMessage"/> methods: the level is checked before any argument is formatted, so a
    /// disabled level costs no allocation. Event ids are stable so log pipelines can filter on them. The
    /// event loops' messages (110–120) are in Loop/LoopLog and the store's (2xx) in Storage/StorageLog,
    /// each beside the code that logs them.
    /// </summary>
    internal static partial class ServerLog
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information,
            Message = "EmbedKv listening on http://{Address}/ with {Workers} loops; data in {DataDirectory} ({Keys} keys recovered, durability {Durability})")]
        public static partial void Listening(ILogger logger, string address, int workers, string dataDirectory, long keys, string durability);

        [LoggerMessage(EventId = 103, Level = LogLevel.Information,
            Message = "EmbedKv listening on http://{Address}/ with {Workers} loops; keys in {Backend}")]
        public static partial void ListeningOnBackend(ILogger logger, string address, int workers, string backend);

        [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "EmbedKv on {Address} stopped")]
        public static partial void Stopped(ILogger logger, string address);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Could not remove the Unix socket {Socket} on stop ({Reason}); the next start replaces it")]
        public static partial void UnixSocketNotRemoved(ILogger logger, string socket, string reason);
    }
}
