using Microsoft.Extensions.Logging;

namespace EmbedKv.Server.Kv.Remote
{
    /// <summary>A remote backend's failures as the server logs them (140–142), rate-limited by <see cref="BackendHealth"/>.</summary>
    internal static partial class BackendLog
    {
        [LoggerMessage(EventId = 140, Level = LogLevel.Warning,
            Message = "The store behind this server ({Backend}) did not answer: {Reason}; answered 503, and {Suppressed} more requests since the last message")]
        public static partial void Unavailable(ILogger logger, string backend, string reason, long suppressed);

        [LoggerMessage(EventId = 141, Level = LogLevel.Error,
            Message = "The store behind this server ({Backend}) refused a request: {Reason}; answered 500, and {Suppressed} more requests since the last message")]
        public static partial void Refused(ILogger logger, string backend, string reason, long suppressed);

        [LoggerMessage(EventId = 142, Level = LogLevel.Warning,
            Message = "The store behind this server ({Backend}) answers again, after {Unanswered} requests it did not answer")]
        public static partial void AnswersAgain(ILogger logger, string backend, long unanswered);
    }
}
